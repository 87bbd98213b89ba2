using System.Globalization;
using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>SQS batch calls take at most 10 entries, each with an id unique in its request: these are the ids and the chunks.</summary>
public static class SqsBatches
{
    public const int MaxEntries = 10;

    private static readonly string[] Ids = [.. Enumerable.Range(0, MaxEntries).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    public static string Id(int index) => Ids[index];

    public static int Index(string id) => int.Parse(id, NumberStyles.None, CultureInfo.InvariantCulture);

    public static IEnumerable<T[]> Chunks<T>(IEnumerable<T> items) => items.Chunk(MaxEntries);

    /// <summary>Sets the visibility of up to 10 leased messages of one queue to <paramref name="seconds"/> from now.</summary>
    public static ChangeMessageVisibilityBatchRequest Visibility(MessageLease[] leases, int seconds) =>
        Visibility(leases[0].Queues.Main, leases.Select(l => l.ReceiptHandle), seconds);

    /// <summary>Sets the visibility of up to 10 received messages of <paramref name="queueUrl"/> to <paramref name="seconds"/> from now.</summary>
    public static ChangeMessageVisibilityBatchRequest Visibility(string queueUrl, IEnumerable<string> receiptHandles, int seconds) => new()
    {
        QueueUrl = queueUrl,
        Entries = [.. receiptHandles.Select((h, i) => new ChangeMessageVisibilityBatchRequestEntry(Id(i), h) { VisibilityTimeout = seconds })],
    };

    /// <summary>Deletes up to 10 received messages of <paramref name="queueUrl"/>; entry ids are the handles' indexes.</summary>
    public static DeleteMessageBatchRequest Delete(string queueUrl, IEnumerable<string> receiptHandles) => new()
    {
        QueueUrl = queueUrl,
        Entries = [.. receiptHandles.Select((h, i) => new DeleteMessageBatchRequestEntry(Id(i), h))],
    };

    /// <summary>Sends up to 10 messages to <paramref name="queueUrl"/>; entry ids are the messages' indexes.</summary>
    public static SendMessageBatchRequest Send(
        string queueUrl, IEnumerable<(string Body, Dictionary<string, MessageAttributeValue>? Attributes)> messages, int? delaySeconds = null) => new()
    {
        QueueUrl = queueUrl,
        Entries = [.. messages.Select((m, i) => new SendMessageBatchRequestEntry(Id(i), m.Body) { MessageAttributes = m.Attributes, DelaySeconds = delaySeconds })],
    };
}
