using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginConsumer.Persistence;

/// <summary>
/// Whether the database takes writes. A batch that failed for a reason not about its rows makes it probe with a write
/// (one INSERT in a transaction that is rolled back): reads can work while writes are refused (read-only after a
/// failover, 25006; a revoked grant, 42501; a full disk, 53100). While the probe fails the database counts as down:
/// the writer holds its batches and the receivers stop pulling messages that could not be stored, instead of burning
/// retries and receive counts. Probes repeat until one succeeds.
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

    /// <summary>False while the gate is closed: the last write probe failed.</summary>
    public bool IsAvailable => _available.Task.IsCompleted;

    /// <summary>Called after a batch failed: probes with a write, and if that fails, closes the gate until a probe succeeds.</summary>
    public Task ReportFailureAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _probing ??= ProbeAsync(cancellationToken);
        }
    }

    /// <summary>Probes until a write would succeed; logs when the database goes down, when why changes, and when it is back.</summary>
    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await WriteProbeFailureAsync(cancellationToken).ConfigureAwait(false) is not { } failure)
            {
                return;
            }

            lock (_gate)
            {
                _available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            LogDown(failure, options.Value.ProbeInterval);
            var downSince = time.GetTimestamp();
            using var timer = new PeriodicTimer(options.Value.ProbeInterval, time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = await WriteProbeFailureAsync(cancellationToken).ConfigureAwait(false);
                if (now is null)
                {
                    var downFor = time.GetElapsedTime(downSince);
                    LogBackUp(downFor);
                    return;
                }

                if (now != failure)
                {
                    failure = now;
                    LogStillDown(failure);
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
    /// Null when a row could be written now, into this build's schema; else why not. A consumer rolled out before its
    /// migration would otherwise fail every batch until each message's receives ran out and SQS dead-lettered it. The
    /// probe inserts one row in a transaction it rolls back, needing only the INSERT the runtime role has. An answer
    /// about the probe row itself (a CHECK or NOT NULL the analysts added: class 22, 23 or P0) still shows that writes
    /// get through. Never an exception's text: it can quote a host or a user.
    /// </summary>
    private async Task<string?> WriteProbeFailureAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.CommandTimeout);
            var context = await contextFactory.CreateDbContextAsync(timeout.Token).ConfigureAwait(false);
            await using (context.ConfigureAwait(false))
            {
                context.Database.SetCommandTimeout(options.Value.CommandTimeout);
                var transaction = await context.Database.BeginTransactionAsync(timeout.Token).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    await context.Database.ExecuteSqlRawAsync(WriteProbeSql, timeout.Token).ConfigureAwait(false);
                    await transaction.RollbackAsync(timeout.Token).ConfigureAwait(false);
                }

                return null;
            }
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            return $"user_logins lacks this build's schema (SQLSTATE {ex.SqlState}): run `LoginConsumer migrate`";
        }
        catch (PostgresException ex) when (LoginBatchWriter.IsAboutTheRow(ex))
        {
            return null;
        }
        catch (PostgresException ex)
        {
            return $"it refuses writes (SQLSTATE {ex.SqlState}: 25006 read-only, 42501 privilege, 53xxx resources, 57xxx shutting down)";
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return $"it cannot be reached ({ex.GetType().Name})";
        }
    }

    private static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }

    private const string WriteProbeSql =
        "INSERT INTO " + UserLoginConfiguration.TableName + " (message_id, create_date) VALUES ('loginconsumer:write-probe', current_date)";

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "The database cannot be used: {Reason}; receiving is paused and batches are held. Probing every {ProbeInterval}")]
    private partial void LogDown(string reason, TimeSpan probeInterval);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "The database still cannot be used, now because {Reason}")]
    private partial void LogStillDown(string reason);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "The database takes writes again after {Downtime}; resuming")]
    private partial void LogBackUp(TimeSpan downtime);
}
