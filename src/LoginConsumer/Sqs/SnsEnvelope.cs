namespace LoginConsumer.Sqs;

/// <summary>
/// The fields of an SNS notification envelope (an SNS → SQS subscription without raw message delivery) that its
/// signature covers. Anyone who may send to the queue can write such an envelope by hand: it says who sent it only
/// once <see cref="SnsSignatureVerifier"/> has verified it.
/// </summary>
public sealed record SnsEnvelope(
    string Message,
    string MessageId,
    string TopicArn,
    string? Subject,
    string Timestamp,
    string SignatureVersion,
    string Signature,
    string SigningCertUrl)
{
    /// <summary>The text SNS signs for a notification: each present field's name and value, one per line, in this order.</summary>
    public string StringToSign()
    {
        var subject = Subject is null ? string.Empty : "Subject\n" + Subject + "\n";
        return "Message\n" + Message + "\nMessageId\n" + MessageId + "\n" + subject
            + "Timestamp\n" + Timestamp + "\nTopicArn\n" + TopicArn + "\nType\nNotification\n";
    }
}
