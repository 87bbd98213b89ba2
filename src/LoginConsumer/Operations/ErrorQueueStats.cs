using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginConsumer.Operations;

/// <summary>The error queue at a glance: its depth, its oldest message and what its messages died of.</summary>
public sealed record ErrorQueueStats(
    long Visible,
    long InFlight,
    int Scanned,
    bool ScanCapped,
    TimeSpan? OldestAge,
    IReadOnlyList<(string ReasonCode, int Count)> ByReason,
    IReadOnlyList<(string KeyId, int Count)> BySigningKey)
{
    public static async Task<ErrorQueueStats> ReadAsync(IAmazonSQS sqs, string errorQueueUrl, int scanLimit, TimeProvider time, CancellationToken cancellationToken)
    {
        var attributes = await sqs.GetQueueAttributesAsync(
            errorQueueUrl,
            [QueueAttributeName.ApproximateNumberOfMessages, QueueAttributeName.ApproximateNumberOfMessagesNotVisible],
            cancellationToken).ConfigureAwait(false);
        var entries = await ErrorQueueScanner.ScanAsync(sqs, errorQueueUrl, scanLimit, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var oldest = entries.Select(e => e.DeadLettered ?? e.FirstSent).OfType<DateTimeOffset>().DefaultIfEmpty(now).Min();
        return new ErrorQueueStats(
            attributes.ApproximateNumberOfMessages,
            attributes.ApproximateNumberOfMessagesNotVisible,
            entries.Count,
            entries.Count == scanLimit,
            entries.Count == 0 ? null : now - oldest,
            Count(entries, e => e.ReasonCode),
            Count(entries, e => e.SigningKeyId));
    }

    private static List<(string, int)> Count(List<ErrorQueueEntry> entries, Func<ErrorQueueEntry, string> by) =>
        [.. entries.GroupBy(by)
            .Select(g => (g.Key, g.Count()))
            .OrderByDescending(g => g.Item2)
            .ThenBy(g => g.Key, StringComparer.Ordinal)];
}
