using System.Globalization;
using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>
/// Reads the system attributes every receive asks for, and the two message attributes that survive a trip through the
/// error queue. SDK v4 leaves <c>Attributes</c> and <c>MessageAttributes</c> null when there are none.
/// </summary>
public static class SqsAttributes
{
    public const string SentTimestampName = "SentTimestamp";
    public const string ReceiveCountName = "ApproximateReceiveCount";

    /// <summary>Set on messages sent to the error queue, and kept by `dlq redrive`: the message id the row is keyed on.</summary>
    public const string OriginalMessageIdName = "LC-Original-MessageId";

    /// <summary>Set with the original: when the producer first sent the message (the row's create_date comes from it).</summary>
    public const string OriginalSentTimestampName = "LC-Sent-Timestamp";

    private const int MaxRowKeyLength = 128;

    private static readonly long MaxEpochMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public static readonly List<string> CarriedAttributes = [OriginalMessageIdName, OriginalSentTimestampName];

    /// <summary>
    /// The id the row is stored under: the original message id when the message came back from the error queue, so that
    /// a message redriven twice (or stored, then dead-lettered because its delete failed) is never stored twice.
    /// </summary>
    public static string RowKey(Message message) =>
        message.MessageAttributes?.TryGetValue(OriginalMessageIdName, out var value) == true
        && value.StringValue is { Length: > 0 and <= MaxRowKeyLength } original ? original : message.MessageId;

    /// <summary>When the producer sent it: the carried original time if present, else SQS's SentTimestamp.</summary>
    public static long? OriginalSentTimestamp(Message message) =>
        message.MessageAttributes?.TryGetValue(OriginalSentTimestampName, out var value) == true
        && long.TryParse(value.StringValue, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= MaxEpochMs ? ms : SentTimestamp(message);

    public static long? SentTimestamp(Message message) =>
        message.Attributes?.TryGetValue(SentTimestampName, out var value) == true
        && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= MaxEpochMs ? ms : null;

    public static int ReceiveCount(Message message) =>
        message.Attributes?.TryGetValue(ReceiveCountName, out var value) == true
        && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 1;
}
