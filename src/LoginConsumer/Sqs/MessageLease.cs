using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>
/// One received message, from its receipt until it is settled: the visibility heartbeat extends it while it is worked
/// on, and it ends exactly once, completed (deleted), dead-lettered with a reason (then deleted), or released to be
/// received again after a delay. A second settle is refused and changes nothing.
/// </summary>
public sealed class MessageLease
{
    private readonly MessageLeases _owner;
    private readonly object _gate = new();
    private bool _settled;
    private bool _done;
    private string _receiptHandle;

    internal MessageLease(QueueUrls queues, Message message, int receiveCount, DateTimeOffset receivedAt, DateTimeOffset visibleUntil, MessageLeases owner)
    {
        _owner = owner;
        Queues = queues;
        Message = message;
        _receiptHandle = message.ReceiptHandle;
        ReceiveCount = receiveCount;
        ReceivedAt = receivedAt;
        VisibleUntil = visibleUntil;
    }

    public QueueUrls Queues { get; }

    public Message Message { get; }

    public string MessageId => Message.MessageId;

    /// <summary>The newest receipt handle: SQS honours only the latest one when the same message was received again.</summary>
    public string ReceiptHandle => Volatile.Read(ref _receiptHandle);

    public int ReceiveCount { get; private set; }

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Until when SQS keeps the message hidden, as far as this process knows (the heartbeat moves it on).</summary>
    public DateTimeOffset VisibleUntil { get; set; }

    public bool IsSettled
    {
        get
        {
            lock (_gate)
            {
                return _settled;
            }
        }
    }

    /// <summary>Deletes the message (its row is committed). True when SQS confirmed the delete.</summary>
    public Task<bool> CompleteAsync() => Settle() ? _owner.CompleteAsync(this) : Task.FromResult(false);

    /// <summary>
    /// Sends the message to the error queue with <paramref name="reason"/>, then deletes it. When the send keeps
    /// failing, the message is released with the redelivery backoff instead, and never deleted. True when it is in the
    /// error queue.
    /// </summary>
    /// <remarks><paramref name="rowKey"/> and <paramref name="sentTimestampMs"/> travel signed, so that a redrive stores the original row.</remarks>
    public Task<bool> DeadLetterAsync(DeadLetterReason reason, string rowKey, long sentTimestampMs) =>
        Settle() ? _owner.DeadLetterAsync(this, reason, rowKey, sentTimestampMs) : Task.FromResult(false);

    /// <summary>Makes the message visible again after <paramref name="visibleIn"/> (zero: at once).</summary>
    public Task ReleaseAsync(TimeSpan visibleIn) => Settle() ? _owner.ReleaseAsync(this, visibleIn) : Task.CompletedTask;

    /// <summary>For a batch release of leases never started: settles without a call of its own.</summary>
    internal bool TrySettleForBatchRelease() => Settle();

    /// <summary>
    /// The same message was received again while this lease still works on it or settles it (its visibility ran out
    /// during an outage, or while its error-queue send retried): this lease carries on with the new receipt handle
    /// instead of the message being processed, or dead-lettered, twice. False once the settlement is done; the new copy
    /// is then a message of its own.
    /// </summary>
    internal bool TryAdopt(string receiptHandle, int receiveCount, DateTimeOffset visibleUntil)
    {
        lock (_gate)
        {
            if (_done)
            {
                return false;
            }

            Volatile.Write(ref _receiptHandle, receiptHandle);
            ReceiveCount = receiveCount;
            VisibleUntil = visibleUntil;
            return true;
        }
    }

    /// <summary>
    /// Ends the settlement that acted on <paramref name="receiptHandle"/>; false when a copy was adopted meanwhile, whose
    /// newer handle the settlement must act on too. Null ends it whatever the handle (given up).
    /// </summary>
    internal bool TryFinish(string? receiptHandle)
    {
        lock (_gate)
        {
            if (receiptHandle is not null && !string.Equals(receiptHandle, _receiptHandle, StringComparison.Ordinal))
            {
                return false;
            }

            _done = true;
            return true;
        }
    }

    private bool Settle()
    {
        lock (_gate)
        {
            if (_settled)
            {
                return false;
            }

            _settled = true;
            return true;
        }
    }
}
