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
    public static ChangeMessageVisibilityBatchRequest Visibility(MessageLease[] leases, int seconds) => new()
    {
        QueueUrl = leases[0].Queues.Main,
        Entries = [.. leases.Select((l, i) => new ChangeMessageVisibilityBatchRequestEntry(Id(i), l.ReceiptHandle) { VisibilityTimeout = seconds })],
    };
}
