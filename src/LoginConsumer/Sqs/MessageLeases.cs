using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Sqs;

/// <summary>
/// Starts a lease for every received message and carries out its settlement. A lease stays with the heartbeat until
/// its delete or its dead-letter send is over, so a settlement that retries through an SQS outage keeps the message
/// hidden meanwhile. Each SQS call goes through <see cref="SqsCallPolicy"/> within <see cref="SqsOptions.SettleTimeout"/>.
/// </summary>
public sealed partial class MessageLeases(
    IAmazonSQS sqs,
    SqsCallPolicy policy,
    DeleteBatcher deleter,
    ErrorQueueSender errorQueue,
    VisibilityHeartbeat heartbeat,
    SettleHealth health,
    TimeProvider time,
    IOptions<SqsOptions> options,
    ILogger<MessageLeases> logger) : IDisposable
{
    private static readonly TimeSpan MaxRetryPause = TimeSpan.FromSeconds(30);

    private const long DeadLetterBytesAtOnce = 4L * 1024 * 1024;

    private readonly SqsOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, MessageLease> _held = new(StringComparer.Ordinal);

    // An error-queue send holds several transient copies of its body (the JSON-escaped request, its UTF-8 bytes, the
    // SDK's buffers) besides the body the in-flight byte budget counts. Poison arrives in bursts (a producer's bad
    // release), so the bodies being sent at once are bounded by bytes: a burst of bodies near 1 MiB goes a few at a
    // time and cannot multiply memory up to the GC heap limit (where a failed allocation could cut a send short after
    // SQS stored it, and its retry would store a copy), while small poison bodies still go many at a time.
    private readonly ByteBudget _deadLetterBytes = new(DeadLetterBytesAtOnce);

    // Until the service stops, a delete or an error-queue send that failed is tried again while the heartbeat keeps its
    // message hidden: given up, a stored message would come back and be stored again, and a poison one would spend a
    // receive each time until SQS's RedrivePolicy moved it without its reason.
    private readonly CancellationTokenSource _stopRetrying = new();

    /// <summary>From now on a settlement that fails gives up (deletes) or releases (error-queue sends) instead of trying again.</summary>
    public void StopRetrying() => _stopRetrying.Cancel();

    public void Dispose() => _stopRetrying.Dispose();

    /// <summary>A pause before the next try of a failed settlement; false when the service stops instead.</summary>
    private async Task<bool> PauseBeforeRetryAsync(int attempt)
    {
        try
        {
            var pause = SqsCallPolicy.Backoff(attempt);
            await Task.Delay(pause < MaxRetryPause ? pause : MaxRetryPause, time, _stopRetrying.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Tracking starts here, at receipt: the heartbeat extends the lease from now on. Null when this process already
    /// holds the message under an unsettled lease (received again after its visibility ran out): that lease adopts
    /// the new receipt handle and the copy needs no work of its own.
    /// </summary>
    public MessageLease? Start(QueueUrls queues, Message message)
    {
        var now = time.GetUtcNow();
        var receiveCount = SqsAttributes.ReceiveCount(message);
        if (_held.TryGetValue(message.MessageId, out var held) && held.TryAdopt(message.ReceiptHandle, receiveCount, now + heartbeat.Timeout))
        {
            LogAdopted(message.MessageId, receiveCount);
            return null;
        }

        var lease = new MessageLease(queues, message, receiveCount, now, now + heartbeat.Timeout, this);
        _held[message.MessageId] = lease;
        heartbeat.Track(lease);
        return lease;
    }

    /// <summary>The lease no longer holds the message: heartbeat and adoption let go of it.</summary>
    private void Forget(MessageLease lease)
    {
        heartbeat.Untrack(lease);
        _held.TryRemove(new KeyValuePair<string, MessageLease>(lease.MessageId, lease));
    }

    /// <summary>Releases leases that were received but never started (the receive returned while stopping), in batches.</summary>
    public async Task ReleaseUnstartedAsync(IReadOnlyList<MessageLease> leases)
    {
        var unsettled = leases.Where(l => l.TrySettleForBatchRelease() && l.TryFinish(null)).ToList();
        foreach (var lease in unsettled)
        {
            _held.TryRemove(new KeyValuePair<string, MessageLease>(lease.MessageId, lease));
            await heartbeat.UntrackBeforeReleaseAsync(lease).ConfigureAwait(false);
        }

        // Not the stopping token: this runs because the service stops, and a release cut short leaves the messages
        // hidden for the rest of their visibility timeout. The policy's settle budget bounds it instead.
        foreach (var chunk in SqsBatches.Chunks(unsettled))
        {
            try
            {
                var response = await policy.RunAsync(
                    "ChangeMessageVisibilityBatch",
                    token => sqs.ChangeMessageVisibilityBatchAsync(SqsBatches.Visibility(chunk, 0), token),
                    SettleCall,
                    CancellationToken.None).ConfigureAwait(false);
                LogReleasedUnstarted(chunk.Length - (response.Failed?.Count ?? 0));
            }
            catch (Exception ex)
            {
                LogVisibilityChangeFailed(ex, chunk[0].MessageId, SqsCallPolicy.Describe(ex));
            }
        }
    }

    private SqsCall SettleCall => new(int.MaxValue, policy.CallTimeout, _options.SettleTimeout);

    /// <summary>
    /// An error-queue send cut short by its timeout may still have been stored, and its retry would then be a second
    /// copy: a body of up to 1 MiB gets half the settle time per attempt, so only a real hang is cut.
    /// </summary>
    private SqsCall SendCall => new(int.MaxValue, TimeSpan.FromTicks(Math.Max(policy.CallTimeout.Ticks, _options.SettleTimeout.Ticks / 2)), _options.SettleTimeout);

    internal async Task<bool> CompleteAsync(MessageLease lease)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var handle = lease.ReceiptHandle;
                var result = await deleter.DeleteAsync(lease.Queues.Main, lease.MessageId, handle).ConfigureAwait(false);
                if (result != DeleteBatcher.Result.Failed)
                {
                    if (result == DeleteBatcher.Result.Deleted)
                    {
                        health.Succeeded(SettleHealth.Settlement.Delete);
                    }

                    if (lease.TryFinish(handle))
                    {
                        return result == DeleteBatcher.Result.Deleted;
                    }

                    continue;
                }

                health.Failed(SettleHealth.Settlement.Delete);
                if (!await PauseBeforeRetryAsync(attempt).ConfigureAwait(false))
                {
                    lease.TryFinish(null);
                    return false;
                }
            }
        }
        finally
        {
            Forget(lease);
        }
    }

    internal async Task<bool> DeadLetterAsync(MessageLease lease, DeadLetterReason reason, string rowKey, long sentTimestampMs)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // CancellationToken.None: a send cut short by shutdown would leave the message to come back and be sent again;
                // SettleTimeout bounds each send, and the heartbeat keeps a waiting message hidden.
                var bytes = (long)(lease.Message.Body?.Length ?? 0);
                await _deadLetterBytes.ReserveAsync(bytes, CancellationToken.None).ConfigureAwait(false);
                try
                {
                    await policy.RunAsync(
                        "SendMessage (error queue)",
                        token => errorQueue.SendAsync(lease.Queues.Error, _options.QueueName, lease.Message, rowKey, sentTimestampMs, reason, token),
                        SendCall,
                        CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    _deadLetterBytes.Release(bytes);
                }

                health.Succeeded(SettleHealth.Settlement.ErrorQueueSend);
                break;
            }
            catch (Exception ex)
            {
                health.Failed(SettleHealth.Settlement.ErrorQueueSend);
                if (await PauseBeforeRetryAsync(attempt).ConfigureAwait(false))
                {
                    LogDeadLetterRetrying(ex, lease.MessageId, lease.ReceiveCount, SqsCallPolicy.Describe(ex));
                    continue;
                }

                // Stopping, and not in the error queue, so it must not be deleted: it comes back after the backoff.
                var backoff = RedeliveryBackoff(lease.ReceiveCount);
                LogDeadLetterFailed(ex, lease.MessageId, lease.ReceiveCount, SqsCallPolicy.Describe(ex), backoff);
                await ReleaseAsync(lease, backoff).ConfigureAwait(false);
                return false;
            }
        }

        LogDeadLettered(lease.MessageId, lease.ReceiveCount, reason.Code, reason.Message);
        await CompleteAsync(lease).ConfigureAwait(false);
        return true;
    }

    internal async Task ReleaseAsync(MessageLease lease, TimeSpan visibleIn)
    {
        lease.TryFinish(null);
        _held.TryRemove(new KeyValuePair<string, MessageLease>(lease.MessageId, lease));
        await heartbeat.UntrackBeforeReleaseAsync(lease).ConfigureAwait(false);
        try
        {
            // CancellationToken.None: a release is how a stop hands messages back; the settle budget bounds it.
            await policy.RunAsync(
                "ChangeMessageVisibility",
                token => sqs.ChangeMessageVisibilityAsync(lease.Queues.Main, lease.ReceiptHandle, (int)visibleIn.TotalSeconds, token),
                SettleCall,
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // It comes back when its current visibility timeout ends instead.
            LogVisibilityChangeFailed(ex, lease.MessageId, SqsCallPolicy.Describe(ex));
        }
    }

    /// <summary>After retries spent: this × 4^(receives − 1), at most <see cref="SqsOptions.RedeliveryBackoffMax"/>.</summary>
    public TimeSpan RedeliveryBackoff(int receiveCount) => new Backoff(_options.RedeliveryBackoffBase, _options.RedeliveryBackoffMax, Factor: 4, Jitter: false).For(receiveCount);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Received {MessageId} again (receive {ReceiveCount}) while still working on it; carrying on with the new receipt handle")]
    private partial void LogAdopted(string messageId, int receiveCount);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Moved {MessageId} (receive {ReceiveCount}) to the error queue: {ReasonCode}: {Reason}")]
    private partial void LogDeadLettered(string messageId, int receiveCount, string reasonCode, string reason);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "Could not send poison message {MessageId} (receive {ReceiveCount}) to the error queue ({Failure}) before stopping; released to come back in {Backoff}")]
    private partial void LogDeadLetterFailed(Exception exception, string messageId, int receiveCount, string failure, TimeSpan backoff);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Warning, Message = "Could not send poison message {MessageId} (receive {ReceiveCount}) to the error queue ({Failure}); it stays hidden and is tried again")]
    private partial void LogDeadLetterRetrying(Exception exception, string messageId, int receiveCount, string failure);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Information, Message = "Released {Count} messages received while stopping, unstarted; they are visible again at once")]
    private partial void LogReleasedUnstarted(int count);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Could not change the visibility of {MessageId} ({Failure}); it returns when its visibility timeout ends")]
    private partial void LogVisibilityChangeFailed(Exception exception, string messageId, string failure);
}
