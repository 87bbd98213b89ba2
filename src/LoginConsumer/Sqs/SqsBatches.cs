using System.Globalization;
using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>SQS batch calls take at most 10 entries, each with an id unique in its request: these are the ids and the chunks.</summary>
public static class SqsBatches
{
    public const int MaxEntries = 10;

    /// <summary>SQS's bound on one batch request: the sizes of its messages together, as for one message (1 MiB).</summary>
    public const long MaxBatchBytes = 1024 * 1024;

    /// <summary>SQS's largest message, body and attributes together.</summary>
    public const long MaxMessageBytes = 1024 * 1024;

    private static readonly string[] Ids = [.. Enumerable.Range(0, MaxEntries).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    public static string Id(int index) => Ids[index];

    public static int Index(string id) => int.Parse(id, NumberStyles.None, CultureInfo.InvariantCulture);

    public static IEnumerable<T[]> Chunks<T>(IEnumerable<T> items) => items.Chunk(MaxEntries);

    /// <summary>
    /// Chunks of at most 10 whose sizes add up to at most <paramref name="maxBytes"/>; an item larger than that on its
    /// own goes alone (SQS then judges it).
    /// </summary>
    public static IEnumerable<T[]> Chunks<T>(IEnumerable<T> items, Func<T, long> size, long maxBytes = MaxBatchBytes)
    {
        var chunk = new List<T>(MaxEntries);
        long bytes = 0;
        foreach (var item in items)
        {
            var itemBytes = size(item);
            if (chunk.Count == MaxEntries || (chunk.Count > 0 && bytes + itemBytes > maxBytes))
            {
                yield return [.. chunk];
                chunk.Clear();
                bytes = 0;
            }

            chunk.Add(item);
            bytes += itemBytes;
        }

        if (chunk.Count > 0)
        {
            yield return [.. chunk];
        }
    }

    /// <summary>A message's size as SQS counts it: the body's UTF-8 bytes, and each attribute's name, data type and value.</summary>
    public static long Size(string? body, IReadOnlyDictionary<string, MessageAttributeValue>? attributes)
    {
        long size = System.Text.Encoding.UTF8.GetByteCount(body ?? string.Empty);
        foreach (var (name, value) in attributes ?? new Dictionary<string, MessageAttributeValue>())
        {
            size += System.Text.Encoding.UTF8.GetByteCount(name) + System.Text.Encoding.UTF8.GetByteCount(value.DataType ?? string.Empty)
                + System.Text.Encoding.UTF8.GetByteCount(value.StringValue ?? string.Empty) + (value.BinaryValue?.Length ?? 0);
        }

        return size;
    }

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
