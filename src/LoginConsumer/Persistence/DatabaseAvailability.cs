using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Persistence;

/// <summary>
/// Whether the database can be reached. A failed batch makes it probe (open a connection); while the
/// probe fails the database counts as down: the writer holds its batches and the receivers stop pulling
/// messages that could not be stored, instead of burning retries and receive counts. Probes repeat until
/// one succeeds.
/// </summary>
public sealed partial class DatabaseAvailability(
    IDbContextFactory<LoginDbContext> contextFactory,
    IOptions<BatchWriterOptions> options,
    ILogger<DatabaseAvailability> logger)
{
    private readonly object _gate = new();
    private volatile TaskCompletionSource _available = CompletedSource();
    private Task? _probing;

    public bool IsAvailable => _available.Task.IsCompleted;

    public Task WaitUntilAvailableAsync(CancellationToken cancellationToken) => _available.Task.WaitAsync(cancellationToken);

    /// <summary>Called after a batch failed: checks the connection, and if it is down, closes the gate until a probe succeeds.</summary>
    public Task ReportFailureAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _probing ??= ProbeAsync(cancellationToken);
        }
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await CanConnectAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            lock (_gate)
            {
                _available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            LogDown(options.Value.ProbeInterval);
            var downSince = DateTime.UtcNow;
            using var timer = new PeriodicTimer(options.Value.ProbeInterval);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await CanConnectAsync(cancellationToken).ConfigureAwait(false))
                {
                    LogBackUp(DateTime.UtcNow - downSince);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _available.TrySetResult();
                _probing = null;
            }
        }
    }

    private async Task<bool> CanConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            var context = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            await using (context.ConfigureAwait(false))
            {
                return await context.Database.CanConnectAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return false;
        }
    }

    private static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "The database cannot be reached; receiving is paused and batches are held. Probing every {ProbeInterval}")]
    private partial void LogDown(TimeSpan probeInterval);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "The database is reachable again after {Downtime}; resuming")]
    private partial void LogBackUp(TimeSpan downtime);
}
