namespace LoginConsumer.Sqs;

/// <summary>A received message while it is being worked on, as the visibility heartbeat sees it.</summary>
public sealed class InFlightMessage(string queueUrl, string messageId, string receiptHandle, DateTimeOffset receivedAt, DateTimeOffset visibleUntil)
{
    public string QueueUrl { get; } = queueUrl;

    public string MessageId { get; } = messageId;

    public string ReceiptHandle { get; } = receiptHandle;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    public DateTimeOffset VisibleUntil { get; set; } = visibleUntil;
}
