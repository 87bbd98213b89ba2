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
            new SendMessageRequest { QueueUrl = errorQueueUrl, MessageBody = message.Body, MessageAttributes = attributes },
            cancellationToken);
    }

    private static MessageAttributeValue Text(string value) => new() { DataType = "String", StringValue = value };

    private static MessageAttributeValue Number(long value) =>
        new() { DataType = "Number", StringValue = value.ToString(CultureInfo.InvariantCulture) };
}
