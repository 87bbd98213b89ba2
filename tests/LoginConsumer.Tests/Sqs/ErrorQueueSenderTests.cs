using Amazon.SQS.Model;
using LoginConsumer.Operations;
using LoginConsumer.Sqs;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Sqs;

/// <summary>SQS counts message attributes against the message size with the body (at most 1 MiB together).</summary>
public sealed class ErrorQueueSenderTests
{
    private static readonly TransportAttributes Signer = new(new Dictionary<string, byte[]> { ["k1"] = new byte[32] }, "k1", TimeProvider.System);

    [Fact]
    public void Fitting_SmallBody_KeepsEveryAttribute()
    {
        var attributes = Full();
        Assert.Same(attributes, ErrorQueueSender.Fitting("{}", attributes));
    }

    [Fact]
    public void Fitting_BodyLeavingRoomForTheCodeAndIdentity_KeepsThemAndDropsTheRest()
    {
        var attributes = Full();
        var identity = SqsBatches.Size(null, Pick(attributes, Identity));
        var body = new string('x', (int)(SqsBatches.MaxMessageBytes - identity));

        var kept = ErrorQueueSender.Fitting(body, attributes);

        Assert.Equal(Identity.Order(), kept.Keys.Order());
        Assert.True(SqsBatches.Size(body, kept) <= SqsBatches.MaxMessageBytes);
    }

    [Fact]
    public void Fitting_BodyLeavingRoomForTheCodeOnly_KeepsTheCode()
    {
        var attributes = Full();
        var code = SqsBatches.Size(null, Pick(attributes, [ErrorQueueSender.ReasonCodeAttribute]));
        var body = new string('x', (int)(SqsBatches.MaxMessageBytes - code));

        Assert.Equal([ErrorQueueSender.ReasonCodeAttribute], ErrorQueueSender.Fitting(body, attributes).Keys);
    }

    [Fact]
    public void Fitting_BodyFillingTheMessage_SendsItBareAndOperatorsSeeItAsTooLarge()
    {
        var body = new string('x', (int)SqsBatches.MaxMessageBytes);

        Assert.Empty(ErrorQueueSender.Fitting(body, Full()));
        var entry = ErrorQueueEntry.From(new Message { MessageId = "m1", Body = body, Attributes = [] });
        Assert.Equal(ErrorQueueEntry.TooLarge, entry.ReasonCode);
    }

    [Fact]
    public void Entry_SmallBodyWithoutAttributes_IsRetriesExhausted() =>
        Assert.Equal(ErrorQueueEntry.RetriesExhausted, ErrorQueueEntry.From(new Message { MessageId = "m1", Body = "{}", Attributes = [] }).ReasonCode);

    private static readonly string[] Identity =
        [ErrorQueueSender.ReasonCodeAttribute, TransportAttributes.OriginalMessageIdName, TransportAttributes.OriginalSentTimestampName, TransportAttributes.SignatureName];

    private static Dictionary<string, MessageAttributeValue> Full()
    {
        var attributes = Signer.Sign("original-id", 1_764_000_000_000);
        attributes[ErrorQueueSender.ReasonCodeAttribute] = new() { DataType = "String", StringValue = "too_large" };
        attributes[ErrorQueueSender.ReasonAttribute] = new() { DataType = "String", StringValue = new string('r', 900) };
        attributes[ErrorQueueSender.ExceptionTypeAttribute] = new() { DataType = "String", StringValue = "PoisonMessageException" };
        attributes[ErrorQueueSender.SourceQueueAttribute] = new() { DataType = "String", StringValue = "login-queue" };
        return attributes;
    }

    private static Dictionary<string, MessageAttributeValue> Pick(Dictionary<string, MessageAttributeValue> attributes, IEnumerable<string> names) =>
        names.ToDictionary(n => n, n => attributes[n]);
}
