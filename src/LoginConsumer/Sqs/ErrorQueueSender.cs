using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>
/// Puts a poison message on the error queue with its body untouched and attributes that say why.
/// Attribute names follow MassTransit's fault headers where one exists.
/// </summary>
public sealed class ErrorQueueSender(IAmazonSQS sqs, TransportAttributes signer, TimeProvider time)
{
    public const string ExceptionTypeAttribute = "MT-Fault-ExceptionType";
    public const string ReasonAttribute = "MT-Fault-Message";
    public const string TimestampAttribute = "MT-Fault-Timestamp";
    public const string ReasonCodeAttribute = "LC-Fault-Code";
    public const string OriginalMessageIdAttribute = TransportAttributes.OriginalMessageIdName;
    public const string ReceiveCountAttribute = "LC-Receive-Count";
    public const string SentTimestampAttribute = TransportAttributes.OriginalSentTimestampName;
    public const string SourceQueueAttribute = "LC-Source-Queue";

    private const int MaxReasonLength = 1024;

    /// <summary>Sends <paramref name="message"/>'s body with the reason, and its row key and send time signed.</summary>
    public Task<SendMessageResponse> SendAsync(
        string errorQueueUrl, string sourceQueue, Message message, string rowKey, long sentTimestampMs, DeadLetterReason reason, CancellationToken cancellationToken)
    {
        var attributes = signer.Sign(rowKey, sentTimestampMs);
        foreach (var (name, value) in new Dictionary<string, MessageAttributeValue>
        {
            [ExceptionTypeAttribute] = Text(reason.ExceptionType),
            [ReasonAttribute] = Text(reason.Message.Length > MaxReasonLength ? reason.Message[..MaxReasonLength] : reason.Message),
            [ReasonCodeAttribute] = Text(reason.Code),
            [TimestampAttribute] = Text(time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)),
            [ReceiveCountAttribute] = Number(SqsAttributes.ReceiveCount(message)),
            [SourceQueueAttribute] = Text(sourceQueue),
        })
        {
            attributes[name] = value;
        }

        return sqs.SendMessageAsync(
            new SendMessageRequest { QueueUrl = errorQueueUrl, MessageBody = message.Body, MessageAttributes = Fitting(message.Body, attributes) },
            cancellationToken);
    }

    /// <summary>
    /// Attributes count against SQS's message size with the body. A body that leaves too little room keeps, in order,
    /// the reason code with the signed identity, then the reason code alone, then nothing (dlq then shows a body that
    /// fills the message as too_large, which is the only poison that large).
    /// </summary>
    public static Dictionary<string, MessageAttributeValue> Fitting(string? body, Dictionary<string, MessageAttributeValue> attributes)
    {
        if (SqsBatches.Size(body, attributes) <= SqsBatches.MaxMessageBytes)
        {
            return attributes;
        }

        string[][] tiers =
        [
            [ReasonCodeAttribute, TransportAttributes.OriginalMessageIdName, TransportAttributes.OriginalSentTimestampName, TransportAttributes.SignatureName],
            [ReasonCodeAttribute],
        ];
        foreach (var names in tiers)
        {
            var kept = names.Where(attributes.ContainsKey).ToDictionary(n => n, n => attributes[n]);
            if (SqsBatches.Size(body, kept) <= SqsBatches.MaxMessageBytes)
            {
                return kept;
            }
        }

        return [];
    }

    private static MessageAttributeValue Text(string value) => new() { DataType = "String", StringValue = value };

    private static MessageAttributeValue Number(long value) =>
        new() { DataType = "Number", StringValue = value.ToString(CultureInfo.InvariantCulture) };
}
