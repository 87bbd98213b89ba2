using System.Globalization;

namespace LoginConsumer.Sqs;

/// <summary>SQS batch calls take at most 10 entries, each with an id unique in its request: these are the ids and the chunks.</summary>
public static class SqsBatches
{
    public const int MaxEntries = 10;

    private static readonly string[] Ids = [.. Enumerable.Range(0, MaxEntries).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    public static string Id(int index) => Ids[index];

    public static int Index(string id) => int.Parse(id, NumberStyles.None, CultureInfo.InvariantCulture);

    public static IEnumerable<T[]> Chunks<T>(IEnumerable<T> items) => items.Chunk(MaxEntries);
}
