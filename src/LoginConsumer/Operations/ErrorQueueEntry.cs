using System.Globalization;
using Amazon.SQS.Model;
using LoginConsumer.Sqs;

namespace LoginConsumer.Operations;

/// <summary>One message of the error queue as operators see it: why it is there, and when, never its body's PII.</summary>
public sealed record ErrorQueueEntry(
    string SqsMessageId,
    string OriginalMessageId,
    string ReasonCode,
    string Reason,
    int ReceiveCount,
    DateTimeOffset? FirstSent,
    DateTimeOffset? DeadLettered,
    string SigningKeyId,
    string Body)
{
    /// <summary>The signing key id of a message that carries no signed identity.</summary>
    public const string NoSignature = "-";

    /// <summary>The code for messages SQS moved by the RedrivePolicy: no fault attributes, receives spent.</summary>
    public const string RetriesExhausted = "retries_exhausted";

    /// <summary>The code of a body too large for the consumer; said of a body that left no room for its reason attributes.</summary>
    public const string TooLarge = "too_large";

    // The reason code alone takes about this much; a body with less room than that to spare cannot have carried it.
    private const long RoomForReason = 64;

    private static readonly long MaxEpochMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public static ErrorQueueEntry From(Message message)
    {
        var attributes = message.MessageAttributes ?? [];
        var code = attributes.GetValueOrDefault(ErrorQueueSender.ReasonCodeAttribute)?.StringValue;
        // Shown as written, whatever it holds: a value that does not parse is left out, never an exception.
        var firstSent = attributes.GetValueOrDefault(TransportAttributes.OriginalSentTimestampName)?.StringValue is { } sentText
            && long.TryParse(sentText, NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs) && sentMs <= MaxEpochMs
            ? sentMs
            : SqsAttributes.SentTimestamp(message);
        var deadLettered = attributes.GetValueOrDefault(ErrorQueueSender.TimestampAttribute)?.StringValue is { } stamp
            && DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
            ? at
            : (DateTimeOffset?)null;
        var receives = attributes.GetValueOrDefault(ErrorQueueSender.ReceiveCountAttribute)?.StringValue is { } text
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : SqsAttributes.ReceiveCount(message);
        var fillsTheMessage = code is null && SqsBatches.Size(message.Body, null) > SqsBatches.MaxMessageBytes - RoomForReason;
        return new ErrorQueueEntry(
            message.MessageId,
            attributes.GetValueOrDefault(TransportAttributes.OriginalMessageIdName)?.StringValue is { Length: > 0 and <= 128 } original ? original : message.MessageId,
            code ?? (fillsTheMessage ? TooLarge : RetriesExhausted),
            attributes.GetValueOrDefault(ErrorQueueSender.ReasonAttribute)?.StringValue
                ?? (fillsTheMessage
                    ? "The body fills SQS's message size and left no room for the reason attributes: it is too large (over Consumer:MaxBodyBytes)."
                    : "Moved by login-queue's RedrivePolicy after too many receives: it failed (or its consumer crashed) every time."),
            receives,
            firstSent is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
            deadLettered,
            TransportAttributes.SigningKeyId(message) ?? NoSignature,
            message.Body);
    }
}
