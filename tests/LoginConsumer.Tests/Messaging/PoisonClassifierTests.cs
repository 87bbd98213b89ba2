using System.Text.Json;
using LoginConsumer.Messaging;
using MassTransit;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Messaging;

public sealed class PoisonClassifierTests
{
    [Fact]
    public void Classify_PoisonMessageException_KeepsItsCodeAndReason()
    {
        var reason = PoisonClassifier.Classify(new PoisonMessageException("too_long", "locale is longer than 32 characters."));
        Assert.Equal(new PoisonReason("too_long", "locale is longer than 32 characters.", nameof(PoisonMessageException)), reason);
    }

    [Fact]
    public void Classify_WrappedJsonException_IsPoisonAndDropsTheParserText()
    {
        var json = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<LoginEvent>("""{"user_id": 12345}"""));
        var reason = PoisonClassifier.Classify(new System.Runtime.Serialization.SerializationException("wrapped", json))!;
        Assert.Equal("invalid_json", reason.Code);
        Assert.Contains("$.user_id", reason.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("12345", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_MessageNotConsumed_IsPoison() =>
        Assert.Equal("not_login_event", PoisonClassifier.Classify(new MessageNotConsumedException(new Uri("loopback://localhost/q"), "x"))!.Code);

    [Theory]
    [InlineData(typeof(TimeoutException))]
    [InlineData(typeof(InvalidOperationException))]
    [InlineData(typeof(OperationCanceledException))]
    public void Classify_AnythingElse_IsTransient(Type type) =>
        Assert.Null(PoisonClassifier.Classify((Exception)Activator.CreateInstance(type)!));
}
