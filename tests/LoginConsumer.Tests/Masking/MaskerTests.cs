using LoginConsumer.Masking;

namespace LoginConsumer.Tests.Masking;

public sealed class MaskerTests
{
    // Key bytes 0x00..0x1f; expected values computed independently (Python hmac) from the documented construction:
    // fieldKey = HMAC-SHA256(key, "loginconsumer/v1/field/" + field); masked = keyId + ":" + base64url(HMAC-SHA256(fieldKey, UTF-8 value)).
    private const string KeyBase64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private static readonly Masker K1 = MaskerWith("k1", KeyBase64);

    [Theory]
    [InlineData(MaskedField.Ip, "199.172.111.135", "k1:j7p38X8Yg-5r07pPm9_-G0_onj390QGfKiCY_BEj9kU")]
    [InlineData(MaskedField.DeviceId, "593-47-5928", "k1:Kx35GJt-sj5IKzrdj30StpS3hXs7y1H8ckzPSVIDpVM")]
    [InlineData(MaskedField.Ip, "2001:db8::1", "k1:i0vZCo8-9O3Urlkv0JGJdImqFSmdhisBFoWrUcihDHE")]
    [InlineData(MaskedField.DeviceId, "199.172.111.135", "k1:SCxGJNS1He2UxNfPxV0PhOpxGXk4bpznD6S2Fbcta4c")]
    public void Mask_KnownKeyAndValue_MatchesTestVector(MaskedField field, string value, string expected) =>
        Assert.Equal(expected, K1.Mask(field, value));

    [Fact]
    public void Mask_SameValueTwice_GivesSameResult() =>
        Assert.Equal(K1.Mask(MaskedField.Ip, "10.0.0.1"), MaskerWith("k1", KeyBase64).Mask(MaskedField.Ip, "10.0.0.1"));

    [Fact]
    public void Mask_SameStringAsIpAndAsDeviceId_GivesDifferentResults() =>
        Assert.NotEqual(K1.Mask(MaskedField.Ip, "1.2.3.4"), K1.Mask(MaskedField.DeviceId, "1.2.3.4"));

    [Fact]
    public void Mask_Null_StaysNull() => Assert.Null(K1.Mask(MaskedField.DeviceId, null));

    [Fact]
    public void Mask_DifferentKeys_GiveDifferentDigests()
    {
        var other = MaskerWith("k1", Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()));
        Assert.NotEqual(K1.Mask(MaskedField.Ip, "1.2.3.4"), other.Mask(MaskedField.Ip, "1.2.3.4"));
    }

    [Fact]
    public void Mask_AnyValue_IsTaggedWithTheActiveKeyIdAndHidesTheInput()
    {
        var masked = MaskerWith("2026-11", KeyBase64).Mask(MaskedField.Ip, "199.172.111.135")!;
        Assert.StartsWith("2026-11:", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("199", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void Mask_LongestKeyIdAndLongInput_FitsTheMaskedColumn()
    {
        var masked = MaskerWith(new string('k', KeyRing.MaxKeyIdLength), KeyBase64).Mask(MaskedField.DeviceId, new string('d', 10_000))!;
        Assert.Equal(Masker.MaxMaskedLength, masked.Length);
        Assert.True(masked.Length <= 256);
    }

    [Theory]
    [InlineData("2001:DB8::1")]
    [InlineData("2001:0db8:0000:0000:0000:0000:0000:0001")]
    [InlineData("2001:db8:0:0:0:0:0:1")]
    public void Mask_IPv6TextForms_AfterCanonicalisation_MaskAlike(string form)
    {
        Assert.True(IpCanonicalizer.TryCanonicalize(form, out var canonical));
        Assert.Equal(K1.Mask(MaskedField.Ip, "2001:db8::1"), K1.Mask(MaskedField.Ip, canonical));
    }

    [Fact]
    public void Mask_AfterOtherValuesOnTheSameThread_StillMatchesTestVector()
    {
        // Each thread keeps its HMAC context between digests; one not reset would fold the previous value in.
        var masker = MaskerWith("k1", KeyBase64);
        masker.Mask(MaskedField.Ip, "10.0.0.1");
        masker.Mask(MaskedField.DeviceId, new string('d', 1_000));
        masker.Mask(MaskedField.Ip, "2001:db8::2");

        Assert.Equal("k1:j7p38X8Yg-5r07pPm9_-G0_onj390QGfKiCY_BEj9kU", masker.Mask(MaskedField.Ip, "199.172.111.135"));
        Assert.Equal("k1:Kx35GJt-sj5IKzrdj30StpS3hXs7y1H8ckzPSVIDpVM", masker.Mask(MaskedField.DeviceId, "593-47-5928"));
    }

    [Fact]
    public void Mask_SharedByManyThreadsAtOnce_GivesWhatOneThreadGives()
    {
        var values = Enumerable.Range(0, 20_000).Select(i => $"10.{i / 65_536}.{i / 256 % 256}.{i % 256}").ToArray();
        var oneThread = MaskerWith("k1", KeyBase64);
        var expected = values.Select(v => (oneThread.Mask(MaskedField.Ip, v), oneThread.Mask(MaskedField.DeviceId, v))).ToArray();

        var shared = MaskerWith("k1", KeyBase64);
        var actual = new (string?, string?)[values.Length];
        Parallel.For(0, values.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            actual[i] = (shared.Mask(MaskedField.Ip, values[i]), shared.Mask(MaskedField.DeviceId, values[i])));

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Dispose_Twice_DoesNotThrow()
    {
        var ring = KeyRing.Create(new MaskingOptions { Keys = { ["k1"] = KeyBase64 }, ActiveKeyId = "k1" }, allowDevelopmentKey: false);
        new Masker(ring).Mask(MaskedField.Ip, "10.0.0.1");
        ring.Dispose();
        ring.Dispose();
    }

    private static Masker MaskerWith(string keyId, string keyBase64) =>
        new(KeyRing.Create(new MaskingOptions { Keys = { [keyId] = keyBase64 }, ActiveKeyId = keyId }, allowDevelopmentKey: false));
}
