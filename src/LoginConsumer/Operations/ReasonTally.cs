using System.Text.Json.Nodes;

namespace LoginConsumer.Operations;

/// <summary>Counts of error-queue messages by reason code, as redrive, purge and their audit lines report them.</summary>
public sealed class ReasonTally
{
    private readonly SortedDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Total { get; private set; }

    public IReadOnlyDictionary<string, long> ByReason => _counts;

    public void Add(string reason, long count = 1)
    {
        _counts[reason] = _counts.GetValueOrDefault(reason) + count;
        Total += count;
    }

    public JsonObject ToJson() => new(_counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value)));

    public override string ToString() => Total == 0 ? "none" : string.Join(", ", _counts.Select(c => FormattableString.Invariant($"{c.Key} {c.Value}")));
}
