using System.Globalization;
using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// Groups deletes of finished messages into DeleteMessageBatch calls of up to 10. A delete that fails
/// for a transient reason is retried alone with backoff, then given up: the message comes back; a row's
/// redelivery is a no-op, a poison message's would put a second copy in the error queue (README, Guarantees).
/// </summary>
public sealed partial class DeleteBatcher : IAsyncDisposable
{
    private const int MaxBatch = 10;
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];
    private readonly IAmazonSQS _sqs;
    private readonly ILogger<DeleteBatcher> _logger;
    private readonly Channel<PendingDelete> _pending = Channel.CreateUnbounded<PendingDelete>();
    private readonly Task[] _loops;

    public DeleteBatcher(IAmazonSQS sqs, IOptions<SqsOptions> options, ILogger<DeleteBatcher> logger)
    {
        _sqs = sqs;
        _logger = logger;
        _loops = [.. Enumerable.Range(0, options.Value.Deleters).Select(_ => Task.Run(DeleteLoopAsync))];
    }

    /// <summary>Completes when the delete was sent (successfully or given up); never throws for an SQS failure.</summary>
    public Task DeleteAsync(string queueUrl, string messageId, string receiptHandle)
    {
        var pending = new PendingDelete(queueUrl, messageId, receiptHandle, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            LogDeleteGivenUp(messageId, "stopping");
            return Task.CompletedTask;
        }

        return pending.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    private async Task DeleteLoopAsync()
    {
        var batch = new List<PendingDelete>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryPeek(out var next)
                   && (batch.Count == 0 || next.QueueUrl == batch[0].QueueUrl) && _pending.Reader.TryRead(out next))
            {
                batch.Add(next);
            }

            if (batch.Count > 0)
            {
                LogBatchSize(batch.Count);
                await DeleteBatchAsync(batch).ConfigureAwait(false);
            }
        }
    }

    private async Task DeleteBatchAsync(List<PendingDelete> batch)
    {
        try
        {
            List<PendingDelete> retry;
            try
            {
                var response = await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
                {
                    QueueUrl = batch[0].QueueUrl,
                    Entries = [.. batch.Select((d, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), d.ReceiptHandle))],
                }).ConfigureAwait(false);

                // SDK v4 gives null, not an empty list, when nothing failed.
                retry = [];
                foreach (var failed in response.Failed ?? [])
                {
                    var pending = batch[int.Parse(failed.Id, CultureInfo.InvariantCulture)];
                    LogDeleteEntryFailed(pending.MessageId, failed.Code, failed.SenderFault);
                    if (failed.SenderFault == true)
                    {
                        // A stale or invalid receipt handle: no retry can cure it.
                        LogDeleteGivenUp(pending.MessageId, failed.Code);
                    }
                    else
                    {
                        retry.Add(pending);
                    }
                }
            }
            catch (Exception ex)
            {
                // Any failure (service, network, timeout): a dead delete loop would leave its callers waiting.
                LogDeleteBatchFailed(ex, batch.Count);
                retry = batch;
            }

            await Task.WhenAll(retry.Select(DeleteOneAsync)).ConfigureAwait(false);
        }
        finally
        {
            foreach (var pending in batch)
            {
                pending.Done.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Retries one delete with backoff, well within the receipt handle's visibility timeout. For a row a
    /// lost delete is harmless, but a poison message that is redelivered would be dead-lettered twice.
    /// </summary>
    private async Task DeleteOneAsync(PendingDelete pending)
    {
        foreach (var delay in RetryDelays)
        {
            await Task.Delay(delay).ConfigureAwait(false);
            try
            {
                await _sqs.DeleteMessageAsync(pending.QueueUrl, pending.ReceiptHandle).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                LogDeleteRetryFailed(ex, pending.MessageId);
            }
        }

        LogDeleteGivenUp(pending.MessageId, "retries spent");
    }

    [LoggerMessage(EventId = 1104, Level = LogLevel.Trace, Message = "DeleteMessageBatch of {Count}")]
    private partial void LogBatchSize(int count);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "DeleteMessageBatch entry for {MessageId} failed with {ErrorCode} (sender fault: {SenderFault})")]
    private partial void LogDeleteEntryFailed(string messageId, string errorCode, bool? senderFault);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "DeleteMessageBatch of {Count} messages failed; retrying each alone")]
    private partial void LogDeleteBatchFailed(Exception exception, int count);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Debug, Message = "Deleting {MessageId} failed; retrying")]
    private partial void LogDeleteRetryFailed(Exception exception, string messageId);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Could not delete {MessageId} ({Reason}); it will be redelivered and skipped as already stored")]
    private partial void LogDeleteGivenUp(string messageId, string reason);

    private sealed record PendingDelete(string QueueUrl, string MessageId, string ReceiptHandle, TaskCompletionSource Done);
}
