using System.Text;
using LoginConsumer.Messaging;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Messaging;

public sealed class JsonBodyInspectorTests
{
    [Theory]
    [InlineData("""{"user_id": "u", "ip": "1.2.3.4"}""")]
    [InlineData("""{"user_id": "u", "extra": {"nested": [1, 2, {"a": null}]}}""")]
    [InlineData("""{"foo": "oops_wrong_msg_type", "bar": "123"}""")]
    public void Check_SingleObject_Passes(string body) => JsonBodyInspector.Check(Encoding.UTF8.GetBytes(body), 65536, 16);

    [Theory]
    [InlineData("null", "not_login_event")]
    [InlineData("[1]", "not_login_event")]
    [InlineData("\"s\"", "not_login_event")]
    [InlineData("42", "not_login_event")]
    [InlineData("true", "not_login_event")]
    [InlineData("", "not_login_event")]
    [InlineData("""{"user_id": "u",""", "invalid_json")]
    [InlineData("""{"user_id": "u"} {"user_id": "v"}""", "invalid_json")]
    [InlineData("""{"user_id": "a", "user_id": "b"}""", "duplicate_field")]
    [InlineData("""{"user_id": "a", "ip": "1.1.1.1", "ip": "2.2.2.2"}""", "duplicate_field")]
    [InlineData("""{"user_id": "a", "USER_ID": "b"}""", "duplicate_field")]
    [InlineData("""{"user_id": "a", "user\u005fid": "b"}""", "duplicate_field")]
    [InlineData("""{"user_id": "a",}""", "invalid_json")]
    [InlineData("""{"user_id": "a" /* comment */}""", "invalid_json")]
    public void Check_WrongShape_IsPoisonWithItsReason(string body, string code) =>
        Assert.Equal(code, Assert.Throws<PoisonMessageException>(() => JsonBodyInspector.Check(Encoding.UTF8.GetBytes(body), 65536, 16)).Code);

    [Fact]
    public void Check_UnpairedSurrogateEscapeInALoginField_IsPoisonInvalidText() =>
        Assert.Equal("invalid_text", Assert.Throws<PoisonMessageException>(() => JsonBodyInspector.Check("""{"user_id": "u", "locale": "\ud800"}"""u8, 65536, 16)).Code);

    [Fact]
    public void Check_PairedSurrogateEscape_Passes() => JsonBodyInspector.Check("""{"user_id": "\ud83d\ude00"}"""u8, 65536, 16);

    [Fact]
    public void Check_DuplicateKeyInANestedObject_IsNotALoginFieldAndPasses() =>
        JsonBodyInspector.Check("""{"user_id": "u", "meta": {"ip": 1, "ip": 2}}"""u8, 65536, 16);

    [Fact]
    public void Check_NestedDeeperThanTheLimit_IsPoisonTooDeep()
    {
        var body = "{\"user_id\": \"u\", \"x\": " + new string('[', 40) + new string(']', 40) + "}";
        Assert.Equal("too_deep", Assert.Throws<PoisonMessageException>(() => JsonBodyInspector.Check(Encoding.UTF8.GetBytes(body), 65536, 16)).Code);
    }

    [Fact]
    public void Check_LargerThanTheLimit_IsPoisonTooLarge() =>
        Assert.Equal("too_large", Assert.Throws<PoisonMessageException>(() => JsonBodyInspector.Check(new byte[1001], 1000, 16)).Code);

    [Fact]
    public void Check_InvalidJson_ReasonDoesNotQuoteTheBody()
    {
        var poison = Assert.Throws<PoisonMessageException>(() => JsonBodyInspector.Check("{\"ip\": 10.1.2.3}"u8, 65536, 16));
        Assert.DoesNotContain("10.1", poison.Message, StringComparison.Ordinal);
    }
}
