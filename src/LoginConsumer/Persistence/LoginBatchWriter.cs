using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Persistence;

/// <summary>
/// Turns many concurrent "store this row" calls into one INSERT … SELECT FROM unnest(…) ON CONFLICT
/// (message_id) DO NOTHING per batch, and completes each caller's task when its batch commits (or
/// faults it when the batch fails, so each message is retried on its own). A redelivered message
/// finds its row already there and is skipped, so writes are idempotent.
/// One writer at a time gathers a batch: from its first row it waits <see cref="BatchWriterOptions.MaxBatchDelay"/>
/// for more (unless the batch is full at once), while the others run their INSERTs.
/// </summary>
public sealed partial class LoginBatchWriter(
    IDbContextFactory<LoginDbContext> contextFactory,
    DatabaseAvailability availability,
    LoginConsumer.Telemetry.LoginConsumerTelemetry telemetry,
    IOptions<BatchWriterOptions> options,
    ILogger<LoginBatchWriter> logger) : IHostedService, IDisposable
{
    /// <summary>The poison code of a row PostgreSQL refuses on its own (a CHECK, a trigger, a value the column cannot hold).</summary>
    public const string RejectedByDatabase = "rejected_by_database";

    private const string InsertSql =
        $"""
        INSERT INTO {UserLoginConfiguration.TableName}
            (message_id, user_id, device_type, masked_ip, masked_device_id, locale, app_version, app_version_text, create_date)
        SELECT * FROM unnest(@message_id, @user_id, @device_type, @masked_ip, @masked_device_id, @locale, @app_version, @app_version_text, @create_date)
        ON CONFLICT (message_id) DO NOTHING
        """;

    private readonly BatchWriterOptions _options = options.Value;
    private readonly Channel<PendingRow> _pending = Channel.CreateUnbounded<PendingRow>(new UnboundedChannelOptions { SingleWriter = false });

    // Stop requested: wait for the database no more (held rows fail at once), but still write what can be written.
    private readonly CancellationTokenSource _draining = new();

    // Stopped, or the host's shutdown timeout ran out: abandon inserts in progress and end the database probe.
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _gathering = new(1, 1);
    private Task[] _writers = [];

    public Task WriteAsync(UserLogin row, CancellationToken cancellationToken)
    {
        var pending = new PendingRow(row, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken);
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The batch writer is stopping; the message will be redelivered.");
        }

        return pending.Committed.Task.WaitAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The loops end when StopAsync completes the channel and they drain it, not on the start token.
        _writers = [.. Enumerable.Range(0, _options.Writers).Select(_ => Task.Run(WriteLoopAsync, CancellationToken.None))];
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops taking rows and writes the queued ones; the receive loop has stopped before this runs. Rows held for
    /// a database that is down fail at once, and so do queued ones while it stays down: their messages are
    /// redelivered. This does not ask whether the database is up at the moment of stopping: a probe that finds
    /// it down a moment later would otherwise hold the next batch until the host's shutdown timeout.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await _draining.CancelAsync().ConfigureAwait(false);
        using (cancellationToken.Register(_stopping.Cancel))
        {
            await Task.WhenAll(_writers).ConfigureAwait(false);
        }

        // Nothing is left to write: end a database probe that may still be running.
        await _stopping.CancelAsync().ConfigureAwait(false);
    }

    public void Dispose()
    {
        _draining.Dispose();
        _stopping.Dispose();
        _gathering.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingRow>(_options.MaxBatchSize);
        while (await GatherAsync(batch).ConfigureAwait(false))
        {
            if (batch.Count == 0)
            {
                continue;
            }

            // Whatever goes wrong fails this batch only: a dead loop would leave callers waiting forever.
            try
            {
                await WriteHoldingAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogBatchFailed(ex, batch.Count);
                foreach (var row in batch)
                {
                    row.Committed.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>
    /// Writes the batch. A failure not about its rows (the connection, a read-only or full database, a revoked grant, a
    /// server shutting down: anything but <see cref="IsAboutTheRow"/>) holds the batch rather than fail it: the write
    /// probe closes the gate, the receivers pause, the messages' heartbeat keeps them ours, and the batch is written when
    /// writes work again, so no receive is spent on it. A row whose caller gave up meanwhile (its dispatch timed out and
    /// its message was released) leaves the batch. Throws only while stopping.
    /// </summary>
    private async Task WriteHoldingAsync(List<PendingRow> batch)
    {
        while (true)
        {
            try
            {
                await availability.WaitUntilAvailableAsync(_draining.Token).ConfigureAwait(false);
                await WriteOrSplitAsync(batch).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (!_draining.IsCancellationRequested)
            {
                LogBatchHeld(ex, batch.Count);
                _ = availability.ReportFailureAsync(_stopping.Token);

                // The probe closes the gate within a round trip when writes fail; when it finds them working, this pause
                // keeps a failure that only this batch meets from spinning.
                try
                {
                    await Task.Delay(_options.ProbeInterval, _draining.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    throw new InvalidOperationException("The batch writer stopped while the database refused writes; the message will be redelivered.", ex);
                }

                batch.RemoveAll(row => row.CallerToken.IsCancellationRequested && row.Committed.TrySetCanceled(row.CallerToken));
                if (batch.Count == 0)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="batch"/> with the next batch; false once the writer is stopped and nothing is left.
    /// Only one writer gathers at a time, so rows that arrive meanwhile join one batch instead of being split
    /// between idle writers. Waiting <see cref="BatchWriterOptions.MaxBatchDelay"/> from the first row lets the
    /// batch grow: under load that means a few large INSERTs instead of many small ones (less CPU in PostgreSQL
    /// and here); when idle it adds at most that delay to a row's commit.
    /// </summary>
    private async Task<bool> GatherAsync(List<PendingRow> batch)
    {
        batch.Clear();

        // No token: a writer stops when the channel is completed and empty (StopAsync), never with rows left in it.
        await _gathering.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (!await _pending.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                return false;
            }

            TakeQueued(batch);
            if (batch.Count < _options.MaxBatchSize && _options.MaxBatchDelay > TimeSpan.Zero)
            {
                await Task.Delay(_options.MaxBatchDelay).ConfigureAwait(false);
                TakeQueued(batch);
            }

            return true;
        }
        finally
        {
            _gathering.Release();
        }
    }

    /// <summary>Rows whose caller gave up (its dispatch timed out and the message was released) are dropped, not written late.</summary>
    private void TakeQueued(List<PendingRow> batch)
    {
        while (batch.Count < _options.MaxBatchSize && _pending.Reader.TryRead(out var row))
        {
            if (row.CallerToken.IsCancellationRequested)
            {
                row.Committed.TrySetCanceled(row.CallerToken);
            }
            else
            {
                batch.Add(row);
            }
        }
    }

    /// <summary>
    /// Inserts the batch; when PostgreSQL rejects it for what a row holds (<see cref="IsAboutTheRow"/>), splits it in
    /// halves and tries each, so that the rows it rejects alone fail as rejected and every other row is stored.
    /// Any other failure fails the whole batch, to be retried message by message.
    /// </summary>
    private async Task WriteOrSplitAsync(List<PendingRow> batch)
    {
        try
        {
            var inserted = await InsertAsync(batch).ConfigureAwait(false);
            LogBatchCommitted(batch.Count, inserted);
            telemetry.BatchCommitted(batch.Count, inserted);
            foreach (var row in batch)
            {
                row.Committed.TrySetResult();
            }
        }
        catch (PostgresException ex) when (IsAboutTheRow(ex) && !_stopping.IsCancellationRequested)
        {
            if (batch.Count == 1)
            {
                LogRowRejected(batch[0].Row.MessageId, ex.SqlState);
                batch[0].Committed.TrySetException(new PoisonMessageException(
                    RejectedByDatabase,
                    $"PostgreSQL rejects this row on its own (SQLSTATE {ex.SqlState}): it can never be stored as it is.",
                    ex));
                return;
            }

            var half = batch.Count / 2;
            await WriteOrSplitAsync(batch[..half]).ConfigureAwait(false);
            await WriteOrSplitAsync(batch[half..]).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// An answer from the server about the data itself: a data exception (class 22), an integrity constraint (23), or an
    /// exception raised by a trigger or function (P0). Connection, resource, timeout and schema errors are not.
    /// </summary>
    public static bool IsAboutTheRow(PostgresException exception) =>
        exception.SqlState.StartsWith("22", StringComparison.Ordinal)
        || exception.SqlState.StartsWith("23", StringComparison.Ordinal)
        || exception.SqlState.StartsWith("P0", StringComparison.Ordinal);

    private async Task<int> InsertAsync(List<PendingRow> batch)
    {
        var n = batch.Count;
        var messageIds = new string[n];
        var userIds = new string?[n];
        var deviceTypes = new string?[n];
        var maskedIps = new string?[n];
        var maskedDeviceIds = new string?[n];
        var locales = new string?[n];
        var appVersions = new int?[n];
        var appVersionTexts = new string?[n];
        var createDates = new DateOnly?[n];
        for (var i = 0; i < n; i++)
        {
            var row = batch[i].Row;
            messageIds[i] = row.MessageId;
            userIds[i] = row.UserId;
            deviceTypes[i] = row.DeviceType;
            maskedIps[i] = row.MaskedIp;
            maskedDeviceIds[i] = row.MaskedDeviceId;
            locales[i] = row.Locale;
            appVersions[i] = row.AppVersion;
            appVersionTexts[i] = row.AppVersionText;
            createDates[i] = row.CreateDate;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.CommandTimeout);
        var context = await contextFactory.CreateDbContextAsync(timeout.Token).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            context.Database.SetCommandTimeout(_options.CommandTimeout);
            return await context.Database.ExecuteSqlRawAsync(
                InsertSql,
                [
                    TextArray("message_id", messageIds),
                    TextArray("user_id", userIds),
                    TextArray("device_type", deviceTypes),
                    TextArray("masked_ip", maskedIps),
                    TextArray("masked_device_id", maskedDeviceIds),
                    TextArray("locale", locales),
                    new NpgsqlParameter("app_version", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = appVersions },
                    TextArray("app_version_text", appVersionTexts),
                    new NpgsqlParameter("create_date", NpgsqlDbType.Array | NpgsqlDbType.Date) { Value = createDates },
                ],
                timeout.Token).ConfigureAwait(false);
        }
    }

    private static NpgsqlParameter TextArray(string name, string?[] values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = values };

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Committed a batch of {BatchSize} rows, {InsertedCount} new")]
    private partial void LogBatchCommitted(int batchSize, int insertedCount);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "A batch of {BatchSize} rows failed; each message will be retried")]
    private partial void LogBatchFailed(Exception exception, int batchSize);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "A batch of {BatchSize} rows failed for a reason not about its rows; it is held until the database takes writes again")]
    private partial void LogBatchHeld(Exception exception, int batchSize);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "PostgreSQL rejects the row of {MessageId} on its own (SQLSTATE {SqlState}); it goes to the error queue")]
    private partial void LogRowRejected(string messageId, string sqlState);

    private sealed record PendingRow(UserLogin Row, TaskCompletionSource Committed, CancellationToken CallerToken);
}
