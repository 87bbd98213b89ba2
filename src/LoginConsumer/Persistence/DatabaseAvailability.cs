using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

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
    TimeProvider time,
    ILogger<DatabaseAvailability> logger)
{
    private readonly object _gate = new();
    private volatile TaskCompletionSource _available = CompletedSource();
    private Task? _probing;

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
            var downSince = time.GetTimestamp();
            using var timer = new PeriodicTimer(options.Value.ProbeInterval, time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await CanConnectAsync(cancellationToken).ConfigureAwait(false))
                {
                    var downFor = time.GetElapsedTime(downSince);
                    LogBackUp(downFor);
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

    /// <summary>
    /// Usable means reachable and holding this build's schema: a consumer rolled out before its migration would
    /// otherwise fail every batch until each message's receives ran out and SQS dead-lettered it. The probe reads
    /// only message_id, which the runtime role may read.
    /// </summary>
    private async Task<bool> CanConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            var context = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            await using (context.ConfigureAwait(false))
            {
                await context.Database.ExecuteSqlRawAsync(SchemaProbeSql, cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            LogSchemaMissing(ex.SqlState);
            return false;
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

    private const string SchemaProbeSql = "SELECT message_id FROM " + UserLoginConfiguration.TableName + " LIMIT 0";

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "user_logins lacks this build's schema (SQLSTATE {SqlState}): run `LoginConsumer migrate`; receiving stays paused until it is applied")]
    private partial void LogSchemaMissing(string sqlState);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "The database cannot be used (unreachable, or not migrated); receiving is paused and batches are held. Probing every {ProbeInterval}")]
    private partial void LogDown(TimeSpan probeInterval);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "The database is reachable again after {Downtime}; resuming")]
    private partial void LogBackUp(TimeSpan downtime);
}
