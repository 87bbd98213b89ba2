using System.Globalization;
using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>
/// Reads the system attributes SQS itself sets on every receive. SDK v4 leaves <c>Attributes</c> null when there are
/// none. What a producer can set (message attributes) is read by <see cref="TransportAttributes"/>, and trusted only signed.
/// </summary>
public static class SqsAttributes
{
    public const string SentTimestampName = "SentTimestamp";
    public const string ReceiveCountName = "ApproximateReceiveCount";

    private static readonly long MaxEpochMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>SQS's own SentTimestamp: set by the service, so trusted as it is, within range.</summary>
    public static long? SentTimestamp(Message message) =>
        message.Attributes?.TryGetValue(SentTimestampName, out var value) == true
        && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms >= TransportAttributes.EarliestMs && ms <= MaxEpochMs ? ms : null;

    public static int ReceiveCount(Message message) =>
        message.Attributes?.TryGetValue(ReceiveCountName, out var value) == true
        && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : 1;
}
