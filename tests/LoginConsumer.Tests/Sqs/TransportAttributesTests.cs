using System.Globalization;
using Amazon.SQS.Model;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Time.Testing;

namespace LoginConsumer.Tests.Sqs;

public sealed class TransportAttributesTests
{
    private const string SqsId = "11111111-2222-3333-4444-555555555555";
    private const long SqsSent = 1_764_201_600_000; // 2025-11-27
    private const long OriginalSent = 1_764_000_000_000;

    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero));
    private static readonly Dictionary<string, byte[]> Keys = new() { ["k1"] = [.. Enumerable.Repeat((byte)1, 32)], ["k2"] = [.. Enumerable.Repeat((byte)2, 32)] };
    private static readonly TransportAttributes Signer = new(Keys, "k2", Time);

    [Fact]
    public void Read_NoRedriveAttributes_UsesSqsOwnIdAndTime() =>
        Assert.Equal((SqsId, SqsSent, TransportAttributes.Verdict.None), Signer.Read(Received([])));

    [Fact]
    public void Read_SignedAttributes_AreTrusted() =>
        Assert.Equal(("original-1", OriginalSent, TransportAttributes.Verdict.Trusted), Signer.Read(Received(Signer.Sign("original-1", OriginalSent))));

    [Fact]
    public void Read_SignedUnderAnOlderKeyOfTheRing_AreTrusted()
    {
        var older = new TransportAttributes(Keys, "k1", Time).Sign("original-1", OriginalSent);
        Assert.Equal(TransportAttributes.Verdict.Trusted, Signer.Read(Received(older)).Verdict);
    }

    [Fact]
    public void Read_UnsignedOriginalId_IsIgnored()
    {
        // What any producer (or a relay that copies attributes) could send: two logins under one key.
        var forged = Signer.Sign("original-1", OriginalSent);
        forged.Remove(TransportAttributes.SignatureName);
        Assert.Equal((SqsId, SqsSent, TransportAttributes.Verdict.Untrusted), Signer.Read(Received(forged)));
    }

    [Theory]
    [InlineData("original-2", null, null)]            // the id changed under the signature
    [InlineData(null, "1764000000001", null)]         // the time changed under the signature
    [InlineData(null, null, "k2:bm90IGEgc2lnbmF0dXJl")] // not the signature
    [InlineData(null, null, "garbage")]
    public void Read_TamperedOrUnknownSignature_IsIgnored(string? id, string? sent, string? signaturePrefix)
    {
        var attributes = Signer.Sign("original-1", OriginalSent);
        if (id is not null)
        {
            attributes[TransportAttributes.OriginalMessageIdName].StringValue = id;
        }

        if (sent is not null)
        {
            attributes[TransportAttributes.OriginalSentTimestampName].StringValue = sent;
        }

        if (signaturePrefix is not null)
        {
            var signature = attributes[TransportAttributes.SignatureName].StringValue;
            attributes[TransportAttributes.SignatureName].StringValue = signaturePrefix.EndsWith(':') ? signaturePrefix + signature[(signature.IndexOf(':') + 1)..] : signaturePrefix;
        }

        Assert.Equal((SqsId, SqsSent, TransportAttributes.Verdict.Untrusted), Signer.Read(Received(attributes)));
    }

    [Fact]
    public void Read_SignedUnderAKeyTheRingDoesNotHold_IsUnknownKeyNotTrusted()
    {
        var attributes = Signer.Sign("original-1", OriginalSent);
        var signature = attributes[TransportAttributes.SignatureName].StringValue;
        attributes[TransportAttributes.SignatureName].StringValue = "k9:" + signature[(signature.IndexOf(':') + 1)..];

        Assert.Equal((SqsId, SqsSent, TransportAttributes.Verdict.UnknownKey), Signer.Read(Received(attributes)));
        Assert.Equal("k9", TransportAttributes.SigningKeyId(Received(attributes)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(99_999_999_999_999_999L)]
    [InlineData(1_000_000_000_000L)] // 2001: before SQS existed
    public void Read_SignedButOutOfRangeTime_IsIgnored(long sent)
    {
        // Signed by a key of the ring, yet no send time: never trusted, never an exception.
        Assert.Equal((SqsId, SqsSent, TransportAttributes.Verdict.Untrusted), Signer.Read(Received(Signer.Sign("original-1", sent))));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("99999999999999999")]
    [InlineData("-5")]
    [InlineData("soon")]
    public void Read_UnsignedTimestampOfAnyValue_NeverThrowsAndIsIgnored(string sent)
    {
        var attributes = new Dictionary<string, MessageAttributeValue> { [TransportAttributes.OriginalSentTimestampName] = new() { DataType = "Number", StringValue = sent } };
        Assert.Equal((SqsId, SqsSent, TransportAttributes.Verdict.Untrusted), Signer.Read(Received(attributes)));
    }

    [Fact]
    public void SentTimestamp_SqsOwnValueOutOfRange_IsNull()
    {
        var message = Received([]);
        message.Attributes[SqsAttributes.SentTimestampName] = "99999999999999999";
        Assert.Null(SqsAttributes.SentTimestamp(message));
    }

    private static Message Received(Dictionary<string, MessageAttributeValue> attributes) => new()
    {
        MessageId = SqsId,
        Attributes = new Dictionary<string, string> { [SqsAttributes.SentTimestampName] = SqsSent.ToString(CultureInfo.InvariantCulture) },
        MessageAttributes = attributes,
    };
}
