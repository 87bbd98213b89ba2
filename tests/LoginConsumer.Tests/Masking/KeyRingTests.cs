using LoginConsumer.Masking;

namespace LoginConsumer.Tests.Masking;

public sealed class KeyRingTests
{
    private static readonly string Key32 = Convert.ToBase64String(new byte[32]);

    [Fact]
    public void Validate_NoKeyOutsideDevelopment_NamesTheMissingSettings()
    {
        var error = Assert.Single(KeyRing.Validate(new MaskingOptions(), allowDevelopmentKey: false));
        Assert.Contains("Masking:Keys:<id>", error, StringComparison.Ordinal);
        Assert.Contains("Masking:ActiveKeyId", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_NoKeyInDevelopment_UsesTheDevelopmentKey() =>
        Assert.Equal(KeyRing.DevelopmentKeyId, KeyRing.Create(new MaskingOptions(), allowDevelopmentKey: true).Active.Id);

    [Fact]
    public void Validate_ShortKey_SaysHowManyBytesAreNeeded()
    {
        var options = new MaskingOptions { Keys = { ["k1"] = Convert.ToBase64String(new byte[16]) }, ActiveKeyId = "k1" };
        var error = Assert.Single(KeyRing.Validate(options, allowDevelopmentKey: false));
        Assert.Contains("Masking:Keys:k1 holds 16 bytes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NotBase64_NamesTheKey() =>
        Assert.Contains(
            "Masking:Keys:k1 is not valid base64",
            Assert.Single(KeyRing.Validate(new MaskingOptions { Keys = { ["k1"] = "%%%" }, ActiveKeyId = "k1" }, false)),
            StringComparison.Ordinal);

    [Fact]
    public void Validate_ActiveKeyIdNamesNoKey_SaysSo() =>
        Assert.Contains(
            "Masking:ActiveKeyId 'k2' names no key",
            Assert.Single(KeyRing.Validate(new MaskingOptions { Keys = { ["k1"] = Key32 }, ActiveKeyId = "k2" }, false)),
            StringComparison.Ordinal);

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\n")]
    [InlineData("split")]
    public void Validate_DevelopmentKeyOutsideDevelopment_IsRefusedHoweverItIsWritten(string variant)
    {
        var written = variant switch
        {
            "split" => KeyRing.DevelopmentKeyBase64[..20] + "\r\n" + KeyRing.DevelopmentKeyBase64[20..],
            _ => variant + KeyRing.DevelopmentKeyBase64 + variant,
        };

        Assert.Contains(
            "published development key",
            Assert.Single(KeyRing.Validate(new MaskingOptions { Keys = { ["dev"] = written }, ActiveKeyId = "dev" }, false)),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KeyIdWithColon_IsRefused() =>
        Assert.NotEmpty(KeyRing.Validate(new MaskingOptions { Keys = { ["a:b"] = Key32 }, ActiveKeyId = "a:b" }, false));

    [Fact]
    public void Validate_Errors_NeverContainKeyMaterial()
    {
        var secret = Convert.ToBase64String(Enumerable.Range(7, 20).Select(i => (byte)i).ToArray());
        var errors = KeyRing.Validate(new MaskingOptions { Keys = { ["k1"] = secret }, ActiveKeyId = "k9" }, false);
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.DoesNotContain(secret, e, StringComparison.Ordinal));
    }
}
