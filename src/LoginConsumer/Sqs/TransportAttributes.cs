using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>
/// The transport facts of a received message that this service trusts, and the signed attributes its redrive path
/// writes so that a message coming back from the error queue ends as its original row.
/// A row's key and date come from SQS's own MessageId and SentTimestamp. Only when the message carries
/// LC-Original-MessageId and LC-Sent-Timestamp with a valid LC-Attributes-Signature (an HMAC under a sub-key of the
/// masking key ring, over both values, naming its key id) do those replace them. Anything else a producer set is
/// ignored and counted: never trusted, never an exception.
/// </summary>
public sealed class TransportAttributes(IReadOnlyDictionary<string, byte[]> keys, string activeKeyId, TimeProvider time)
{
    public const string OriginalMessageIdName = "LC-Original-MessageId";
    public const string OriginalSentTimestampName = "LC-Sent-Timestamp";
    public const string SignatureName = "LC-Attributes-Signature";

    /// <summary>The attributes every receive asks for: the signed pair and its signature.</summary>
    public static readonly List<string> Carried = [OriginalMessageIdName, OriginalSentTimestampName, SignatureName];

    private const int MaxRowKeyLength = 128;
    private const int MaxKeyIdLength = 32;

    // SQS opened in 2006; a send time before that, or more than a day ahead of this clock, is not a send time.
    internal static readonly long EarliestMs = new DateTimeOffset(2006, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromDays(1);

    /// <summary>What the message's attributes said about themselves, for the metric.</summary>
    public enum Verdict
    {
        /// <summary>No redrive attributes: SQS's own id and time are used.</summary>
        None,

        /// <summary>Signed by a key of the ring over exactly these values.</summary>
        Trusted,

        /// <summary>Present but unsigned, wrongly signed, or out of range: ignored.</summary>
        Untrusted,

        /// <summary>
        /// Well formed, but signed under a key id the ring does not hold (a key removed too early): the message may well be
        /// the service's own, so its identity is unknown rather than false. The consumer uses SQS's id; a redrive leaves it.
        /// </summary>
        UnknownKey,
    }

    /// <summary>The row key, the send time (Unix ms) and whether redrive attributes were present and trusted.</summary>
    public (string RowKey, long SentTimestampMs, Verdict Verdict) Read(Message message)
    {
        var sqsSent = SqsAttributes.SentTimestamp(message) ?? time.GetUtcNow().ToUnixTimeMilliseconds();
        var attributes = message.MessageAttributes;
        if (attributes is null || !(attributes.ContainsKey(OriginalMessageIdName) || attributes.ContainsKey(OriginalSentTimestampName) || attributes.ContainsKey(SignatureName)))
        {
            return (message.MessageId, sqsSent, Verdict.None);
        }

        if (attributes.GetValueOrDefault(OriginalMessageIdName)?.StringValue is { Length: > 0 and <= MaxRowKeyLength } original
            && attributes.GetValueOrDefault(OriginalSentTimestampName)?.StringValue is { } sentText
            && long.TryParse(sentText, NumberStyles.None, CultureInfo.InvariantCulture, out var sent)
            && InRange(sent)
            && attributes.GetValueOrDefault(SignatureName)?.StringValue is { } signature
            && Verify(original, sent, signature))
        {
            return (original, sent, Verdict.Trusted);
        }

        var keyId = SigningKeyId(message);
        var unknownKey = keyId is not null && !keys.ContainsKey(keyId);
        return (message.MessageId, sqsSent, unknownKey ? Verdict.UnknownKey : Verdict.Untrusted);
    }

    /// <summary>The key id a message's LC-Attributes-Signature names (whether or not it verifies); null when there is none.</summary>
    public static string? SigningKeyId(Message message)
    {
        var signature = message.MessageAttributes?.GetValueOrDefault(SignatureName)?.StringValue;
        var colon = signature?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        return colon is > 0 and <= MaxKeyIdLength ? signature![..colon] : null;
    }

    /// <summary>The signed attributes that carry <paramref name="rowKey"/> and <paramref name="sentTimestampMs"/> to the error queue and back.</summary>
    public Dictionary<string, MessageAttributeValue> Sign(string rowKey, long sentTimestampMs) => new()
    {
        [OriginalMessageIdName] = new() { DataType = "String", StringValue = rowKey },
        [OriginalSentTimestampName] = new() { DataType = "Number", StringValue = sentTimestampMs.ToString(CultureInfo.InvariantCulture) },
        [SignatureName] = new() { DataType = "String", StringValue = activeKeyId + ":" + Convert.ToBase64String(Mac(keys[activeKeyId], rowKey, sentTimestampMs)) },
    };

    private bool InRange(long sentMs) => sentMs >= EarliestMs && sentMs <= (time.GetUtcNow() + MaxClockSkew).ToUnixTimeMilliseconds();

    private bool Verify(string rowKey, long sentMs, string signature)
    {
        var colon = signature.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !keys.TryGetValue(signature[..colon], out var key))
        {
            return false;
        }

        Span<byte> given = stackalloc byte[32];
        return Convert.TryFromBase64String(signature[(colon + 1)..], given, out var length)
            && length == 32
            && CryptographicOperations.FixedTimeEquals(given, Mac(key, rowKey, sentMs));
    }

    private static byte[] Mac(byte[] key, string rowKey, long sentMs) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(rowKey + "\n" + sentMs.ToString(CultureInfo.InvariantCulture)));
}
