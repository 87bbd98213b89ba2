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
    private int _settled;

    internal MessageLease(QueueUrls queues, Message message, int receiveCount, DateTimeOffset receivedAt, DateTimeOffset visibleUntil, MessageLeases owner)
    {
        _owner = owner;
        Queues = queues;
        Message = message;
        ReceiveCount = receiveCount;
        ReceivedAt = receivedAt;
        VisibleUntil = visibleUntil;
    }

    public QueueUrls Queues { get; }

    public Message Message { get; }

    public string MessageId => Message.MessageId;

    public string ReceiptHandle => Message.ReceiptHandle;

    public int ReceiveCount { get; }

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Until when SQS keeps the message hidden, as far as this process knows (the heartbeat moves it on).</summary>
    public DateTimeOffset VisibleUntil { get; set; }

    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>Deletes the message (its row is committed). True when SQS confirmed the delete.</summary>
    public Task<bool> CompleteAsync() => Settle() ? _owner.CompleteAsync(this) : Task.FromResult(false);

    /// <summary>
    /// Sends the message to the error queue with <paramref name="reason"/>, then deletes it. When the send keeps
    /// failing, the message is released with the redelivery backoff instead, and never deleted. True when it is in the
    /// error queue.
    /// </summary>
    public Task<bool> DeadLetterAsync(DeadLetterReason reason) => Settle() ? _owner.DeadLetterAsync(this, reason) : Task.FromResult(false);

    /// <summary>Makes the message visible again after <paramref name="visibleIn"/> (zero: at once).</summary>
    public Task ReleaseAsync(TimeSpan visibleIn) => Settle() ? _owner.ReleaseAsync(this, visibleIn) : Task.CompletedTask;

    /// <summary>For a batch release of leases never started: settles without a call of its own.</summary>
    internal bool TrySettleForBatchRelease() => Settle();

    private bool Settle() => Interlocked.Exchange(ref _settled, 1) == 0;
}
