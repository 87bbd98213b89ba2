using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>
/// The one place that decides a message's row key and send time, for the consumer and for a redrive alike:
/// attributes this service signed (a message back from the error queue), else an SNS notification's MessageId when
/// SNS's signature verifies (so a second delivery of one notification finds its row), else SQS's own MessageId and
/// SentTimestamp. Nothing a producer writes chooses a key.
/// </summary>
public sealed class MessageIdentity(TransportAttributes attributes, SnsSignatureVerifier sns)
{
    /// <summary>What a row is keyed and dated on, and what the message's own attributes said about themselves.</summary>
    public readonly record struct Identity(string RowKey, long SentTimestampMs, TransportAttributes.Verdict Verdict);

    public const string SnsKeyPrefix = "sns:";

    /// <summary>
    /// The identity of <paramref name="message"/>, whose body unwrapped to <paramref name="envelope"/> (null when it was
    /// no SNS envelope). Throws when an envelope's signature cannot be checked now (its certificate is out of reach).
    /// </summary>
    public ValueTask<Identity> ResolveAsync(Message message, SnsEnvelope? envelope, CancellationToken cancellationToken)
    {
        var (rowKey, sent, verdict) = attributes.Read(message);
        if (verdict == TransportAttributes.Verdict.Trusted || envelope is null)
        {
            return ValueTask.FromResult(new Identity(rowKey, sent, verdict));
        }

        return ResolveSnsAsync(envelope, new Identity(rowKey, sent, verdict), cancellationToken);
    }

    private async ValueTask<Identity> ResolveSnsAsync(SnsEnvelope envelope, Identity fromSqs, CancellationToken cancellationToken) =>
        await sns.IsAuthenticAsync(envelope, cancellationToken).ConfigureAwait(false)
            ? fromSqs with { RowKey = SnsKeyPrefix + envelope.MessageId }
            : fromSqs;
}
