using System.Text;
using System.Text.Json;
using LoginConsumer.Sqs;

namespace LoginConsumer.Tests.Sqs;

public sealed class SqsBodyTests
{
    private const string Login = """{"user_id": "u", "ip": "1.2.3.4"}""";

    [Fact]
    public void Unwrap_BareLoginEvent_IsUnchanged() => Assert.Equal(Login, SqsBody.Unwrap(Login));

    [Fact]
    public void Unwrap_LeadingByteOrderMark_IsRemoved() => Assert.Equal(Login, SqsBody.Unwrap("\uFEFF" + Login));

    [Fact]
    public void Unwrap_SnsNotificationEnvelope_GivesThePublishedMessage()
    {
        var envelope = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["Type"] = "Notification",
            ["MessageId"] = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            ["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:logins",
            ["Message"] = Login,
            ["Timestamp"] = "2026-11-26T07:00:00.000Z",
            ["SignatureVersion"] = "1",
        });

        Assert.Equal(Login, SqsBody.Unwrap(envelope, out var unwrapped));
        Assert.Equal("22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", unwrapped!.MessageId);
        Assert.Equal("1", unwrapped.SignatureVersion);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890")]
    public void Unwrap_SnsNotificationWithoutAUsableMessageId_GivesTheMessageAndAnEmptyId(string? messageId)
    {
        var fields = new Dictionary<string, string> { ["Type"] = "Notification", ["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:logins", ["Message"] = Login };
        if (messageId is not null)
        {
            fields["MessageId"] = messageId;
        }

        Assert.Equal(Login, SqsBody.Unwrap(JsonSerializer.Serialize(fields), out var envelope));
        Assert.Equal(string.Empty, envelope!.MessageId);
    }

    [Theory]
    [InlineData("""{"Type": "SubscriptionConfirmation", "TopicArn": "arn:x", "Message": "{}", "x": "Notification"}""")]
    [InlineData("""{"Type": "Notification", "Message": "{}", "note": "no \"TopicArn\" key"}""")]
    [InlineData("""{"Type": "Notification", "TopicArn": "arn:x", "Message": {"user_id": "u"}}""")]
    [InlineData("""{"Type": "Notification", "TopicArn": "arn:x" broken""")]
    public void Unwrap_NotAnSnsNotification_IsUnchanged(string body) => Assert.Equal(body, SqsBody.Unwrap(body));
}
