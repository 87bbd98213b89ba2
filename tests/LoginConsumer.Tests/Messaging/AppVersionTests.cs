using LoginConsumer.Messaging;

namespace LoginConsumer.Tests.Messaging;

public sealed class AppVersionTests
{
    [Theory]
    [InlineData("2.3.0", 2_003_000)]
    [InlineData("0.96", 96_000)]
    [InlineData("0.2.6", 2_006)]
    [InlineData("1.1", 1_001_000)]
    [InlineData("4.0.12", 4_000_012)]
    [InlineData("7", 7_000_000)]
    [InlineData("2.3.0-beta.1", 2_003_000)]
    [InlineData("2.3.0+build.5", 2_003_000)]
    [InlineData("2146.999.999", 2_146_999_999)]
    public void Encode_NumericVersion_GivesSortableInteger(string version, int expected) =>
        Assert.Equal(expected, AppVersion.Encode(version));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("beta")]
    [InlineData("2147.0.0")]
    [InlineData("1.1000")]
    [InlineData("1.2.3.4")]
    [InlineData("v1.2")]
    [InlineData("١.٢")]
    [InlineData("1.٢.3")]
    [InlineData("１.2")]
    public void Encode_NotANumericVersion_GivesNull(string? version) => Assert.Null(AppVersion.Encode(version));

    [Fact]
    public void Encode_OrdersVersionsAsSemVerDoes() =>
        Assert.True(AppVersion.Encode("0.96") < AppVersion.Encode("0.100") && AppVersion.Encode("0.100") < AppVersion.Encode("1.0"));
}
