using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Sqs;

/// <summary>
/// Groups deletes of settled messages into DeleteMessageBatch calls of up to 10. A call that fails in any way, and
/// entries that fail for a reason other than the request itself (SQS's sender fault, such as a stale receipt handle),
/// are tried again through <see cref="SqsCallPolicy"/> until <see cref="SqsOptions.SettleTimeout"/> runs out. A
/// delete given up means the message comes back: a row's redelivery is a no-op, a poison message's would put a second
/// copy in the error queue (docs/guarantees.md).
/// </summary>
public sealed partial class DeleteBatcher : IAsyncDisposable
{
    public const string LoopName = "deleter";

    private readonly IAmazonSQS _sqs;
    private readonly SqsCallPolicy _policy;
    private readonly TimeProvider _time;
    private readonly TimeSpan _settleTimeout;
    private readonly ILogger<DeleteBatcher> _logger;
    private readonly Channel<PendingDelete> _pending = Channel.CreateUnbounded<PendingDelete>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task[] _loops;
    private int _disposed;

    public DeleteBatcher(IAmazonSQS sqs, SqsCallPolicy policy, LoopSupervisor supervisor, TimeProvider time, IOptions<SqsOptions> options, ILogger<DeleteBatcher> logger)
    {
        _sqs = sqs;
        _policy = policy;
        _time = time;
        _settleTimeout = options.Value.SettleTimeout;
        _logger = logger;
        _loops = [.. Enumerable.Range(0, options.Value.Deleters).Select(_ => Task.Run(() => supervisor.RunAsync(LoopName, _ => DeleteLoopAsync(), _stopping.Token)))];
    }

    /// <summary>How a delete ended.</summary>
    public enum Result
    {
        /// <summary>SQS confirmed it.</summary>
        Deleted,

        /// <summary>SQS answered that this entry can never succeed (a stale or invalid receipt handle): no retry can cure it.</summary>
        Refused,

        /// <summary>Given up after <see cref="SqsOptions.SettleTimeout"/>, or the request was refused as a whole (access denied): worth trying again.</summary>
        Failed,
    }

    /// <summary>Completes when the delete is done or given up; never throws for an SQS failure.</summary>
    public Task<Result> DeleteAsync(string queueUrl, string messageId, string receiptHandle)
    {
        var pending = new PendingDelete(queueUrl, messageId, receiptHandle, new TaskCompletionSource<Result>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            LogDeleteGivenUp(messageId, "stopping");
            return Task.FromResult(Result.Failed);
        }

        return pending.Done.Task;
    }

    /// <summary>Sends what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The loops drain the channel without looking at this token; it tells the supervisor that their end is the stop.
        // Cancelled before the channel completes: a loop that found it completed first was reported as a dead loop.
        await _stopping.CancelAsync().ConfigureAwait(false);
        _pending.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task DeleteLoopAsync()
    {
        var batch = new List<PendingDelete>(SqsBatches.MaxEntries);
        // Ends when the channel is completed and drained, not on a token: every queued delete gets its answer.
        while (await _pending.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < SqsBatches.MaxEntries && _pending.Reader.TryPeek(out var next)
                   && (batch.Count == 0 || next.QueueUrl == batch[0].QueueUrl) && _pending.Reader.TryRead(out next))
            {
                batch.Add(next);
            }

            if (batch.Count > 0)
            {
                LogBatchSize(batch.Count);
                await DeleteBatchAsync([.. batch]).ConfigureAwait(false);
            }
        }
    }

    private async Task DeleteBatchAsync(List<PendingDelete> batch)
    {
        var started = _time.GetTimestamp();
        try
        {
            while (batch.Count > 0)
            {
                var budget = _settleTimeout - _time.GetElapsedTime(started);
                if (budget <= TimeSpan.Zero)
                {
                    foreach (var pending in batch)
                    {
                        LogDeleteGivenUp(pending.MessageId, "retries spent");
                    }

                    return;
                }

                batch = await SendAsync(batch, budget).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // The policy gave up: these messages come back when their visibility timeout ends.
            foreach (var pending in batch)
            {
                LogDeleteFailed(ex, pending.MessageId, SqsCallPolicy.Describe(ex));
            }
        }
        finally
        {
            foreach (var pending in batch)
            {
                pending.Done.TrySetResult(Result.Failed);
            }
        }
    }

    /// <summary>One DeleteMessageBatch (retried as a whole by the policy); returns the entries still worth trying again.</summary>
    private async Task<List<PendingDelete>> SendAsync(List<PendingDelete> batch, TimeSpan budget)
    {
        // CancellationToken.None: a stored message's delete must still be tried while stopping; the budget bounds it.
        var response = await _policy.RunAsync(
            "DeleteMessageBatch",
            token => _sqs.DeleteMessageBatchAsync(
                SqsBatches.Delete(batch[0].QueueUrl, batch.Select(d => d.ReceiptHandle)),
                token),
            new SqsCall(int.MaxValue, _policy.CallTimeout, budget),
            CancellationToken.None).ConfigureAwait(false);

        var retry = new List<PendingDelete>();
        var failed = new HashSet<int>();
        foreach (var entry in response.Failed ?? [])
        {
            var index = SqsBatches.Index(entry.Id);
            failed.Add(index);
            var pending = batch[index];
            LogDeleteEntryFailed(pending.MessageId, entry.Code, entry.SenderFault);
            if (entry.SenderFault == true)
            {
                // A stale or invalid receipt handle: no retry can cure it.
                LogDeleteGivenUp(pending.MessageId, entry.Code);
                pending.Done.TrySetResult(Result.Refused);
            }
            else
            {
                retry.Add(pending);
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (!failed.Contains(i))
            {
                batch[i].Done.TrySetResult(Result.Deleted);
            }
        }

        if (retry.Count > 0)
        {
            // A short, fixed pause that a stop must not skip, or the retry would come at once.
            await Task.Delay(SqsCallPolicy.Backoff(1), CancellationToken.None).ConfigureAwait(false);
        }

        return retry;
    }

    [LoggerMessage(EventId = 1104, Level = LogLevel.Trace, Message = "DeleteMessageBatch of {Count}")]
    private partial void LogBatchSize(int count);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "DeleteMessageBatch entry for {MessageId} failed with {ErrorCode} (sender fault: {SenderFault})")]
    private partial void LogDeleteEntryFailed(string messageId, string errorCode, bool? senderFault);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Could not delete {MessageId} ({Failure}); it will be redelivered and skipped as already stored")]
    private partial void LogDeleteFailed(Exception exception, string messageId, string failure);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Could not delete {MessageId} ({Reason}); it will be redelivered and skipped as already stored")]
    private partial void LogDeleteGivenUp(string messageId, string reason);

    private sealed record PendingDelete(string QueueUrl, string MessageId, string ReceiptHandle, TaskCompletionSource<Result> Done);
}
