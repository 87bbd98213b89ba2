using System.Globalization;
using System.Text.Json.Nodes;

namespace LoginConsumer.Operations;

/// <summary>
/// Which error-queue messages an operator command acts on: those with one of <see cref="Reasons"/> (any reason when
/// none is given), dead-lettered at least <see cref="OlderThan"/> ago (any age when not given). A message SQS moved by
/// the RedrivePolicy carries no dead-letter time: its age is counted from when it was first sent, which is earlier.
/// </summary>
public sealed record ErrorQueueFilter(IReadOnlySet<string> Reasons, TimeSpan? OlderThan)
{
    public static readonly ErrorQueueFilter Everything = new(new HashSet<string>(StringComparer.Ordinal), null);

    public bool IsEverything => Reasons.Count == 0 && OlderThan is null;

    public bool Matches(ErrorQueueEntry entry, DateTimeOffset now) =>
        (Reasons.Count == 0 || Reasons.Contains(entry.ReasonCode))
        && (OlderThan is not { } age || ((entry.DeadLettered ?? entry.FirstSent) is { } since && now - since >= age));

    /// <summary>The filter as an audit line and JSON output show it.</summary>
    public JsonObject ToJson() => new()
    {
        ["reasons"] = new JsonArray([.. Reasons.Order(StringComparer.Ordinal).Select(r => (JsonNode)r)]),
        ["older_than_seconds"] = OlderThan is { } age ? Math.Round(age.TotalSeconds) : null,
    };

    public override string ToString() => IsEverything
        ? "every message"
        : string.Join(
            " and ",
            new[]
            {
                Reasons.Count > 0 ? "reason " + string.Join(" or ", Reasons.Order(StringComparer.Ordinal)) : null,
                OlderThan is { } age ? "dead-lettered over " + age.ToString("c", CultureInfo.InvariantCulture) + " ago" : null,
            }.OfType<string>());
}
