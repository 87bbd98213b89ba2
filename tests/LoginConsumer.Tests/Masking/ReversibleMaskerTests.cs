using System.Text;
using LoginConsumer.Masking;

namespace LoginConsumer.Tests.Masking;

public sealed class ReversibleMaskerTests
{
    // Key bytes 0x00..0x1f, id k1. Expected values computed independently with Python's `cryptography` (AESGCMSIV over
    // OpenSSL) from the documented construction: key = HMAC-SHA256(material, "loginconsumer/v1/aes-gcm-siv/key"),
    // nonce = first 12 bytes of HMAC-SHA256(material, "loginconsumer/v1/aes-gcm-siv/nonce"), associated data = field name.
    private const string KeyBase64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private const string OtherKeyBase64 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

    private static readonly Masker K1 = MaskerWith("k1", ("k1", KeyBase64));

    [Theory]
    [InlineData(MaskedField.Ip, "199.172.111.135", "k1:e:mdVK2QbXUBqdiHciDvjQh5Gmrsy6CHaZxQInDb9EuA")]
    [InlineData(MaskedField.DeviceId, "593-47-5928", "k1:e:NJpdYJ--lGy2z0bb9XpoUaEJ0faYhepq54xJ")]
    [InlineData(MaskedField.DeviceId, "199.172.111.135", "k1:e:bGLt15qnGfTZzVFIIBxNUa5xOAO1RO2n0tNp2nHOrQ")]
    public void Mask_KnownKeyAndValue_MatchesIndependentVector(MaskedField field, string value, string expected)
    {
        Assert.Equal(expected, K1.Mask(field, value));
        Assert.True(K1.TryUnmask(field, expected, out var original, out var error), error);
        Assert.Equal(value, original);
    }

    [Fact]
    public void Mask_SameValueTwice_GivesSameResult() =>
        Assert.Equal(K1.Mask(MaskedField.Ip, "10.0.0.1"), MaskerWith("k1", ("k1", KeyBase64)).Mask(MaskedField.Ip, "10.0.0.1"));

    [Fact]
    public void TryUnmask_IpValueAsDeviceId_FailsAuthentication()
    {
        var masked = K1.Mask(MaskedField.Ip, "10.0.0.1")!;
        Assert.False(K1.TryUnmask(MaskedField.DeviceId, masked, out _, out var error));
        Assert.Contains("other field", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryUnmask_HmacValue_RefusesAsOneWay()
    {
        var hmac = new Masker(K1Ring()).Mask(MaskedField.Ip, "10.0.0.1")!;
        Assert.False(K1.TryUnmask(MaskedField.Ip, hmac, out _, out var error));
        Assert.Contains("one-way", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryUnmask_RetiredKeyStillInRing_Recovers()
    {
        var old = K1.Mask(MaskedField.DeviceId, "device-1")!;
        var rotated = MaskerWith("k2", ("k1", KeyBase64), ("k2", OtherKeyBase64));
        var fresh = rotated.Mask(MaskedField.DeviceId, "device-1")!;

        Assert.StartsWith("k2:e:", fresh, StringComparison.Ordinal);
        Assert.NotEqual(old, fresh);
        Assert.True(rotated.TryUnmask(MaskedField.DeviceId, old, out var original, out _));
        Assert.Equal("device-1", original);
    }

    [Fact]
    public void TryUnmask_KeyNotInRing_SaysWhichKey()
    {
        var other = MaskerWith("k9", ("k9", OtherKeyBase64)).Mask(MaskedField.Ip, "10.0.0.1")!;
        Assert.False(K1.TryUnmask(MaskedField.Ip, other, out _, out var error));
        Assert.Contains("'k9'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryUnmask_SameIdOtherMaterial_FailsAuthentication()
    {
        var impostor = MaskerWith("k1", ("k1", OtherKeyBase64)).Mask(MaskedField.Ip, "10.0.0.1")!;
        Assert.False(K1.TryUnmask(MaskedField.Ip, impostor, out _, out _));
    }

    [Theory]
    [InlineData("not a masked value")]
    [InlineData("k1:e:!!!")]
    [InlineData("k1:x:AAAA")]
    [InlineData("k1:e:AAAA")]
    public void TryUnmask_Garbage_IsRefusedWithAReason(string value)
    {
        Assert.False(K1.TryUnmask(MaskedField.Ip, value, out _, out var error));
        Assert.NotEmpty(error);
    }

    // Item 3 of the privacy issue: the longest value validation accepts must fit varchar(256) under the longest key id.
    [Fact]
    public void Mask_LongestAcceptedInputUnderLongestKeyId_FitsTheColumnExactly()
    {
        var longestId = new string('k', KeyRing.MaxKeyIdLength);
        var masker = MaskerWith(longestId, (longestId, KeyBase64));
        var longest = new string('d', Masker.MaxEncryptedPlaintextBytes);

        var masked = masker.Mask(MaskedField.DeviceId, longest)!;

        Assert.InRange(masked.Length, Masker.ColumnLength - 3, Masker.ColumnLength);
        Assert.True(masker.TryUnmask(MaskedField.DeviceId, masked, out var original, out _));
        Assert.Equal(longest, original);
    }

    [Fact]
    public void Mask_OneByteMoreThanTheLimit_WouldNotFitAndIsRefused()
    {
        var tooLong = new string('d', Masker.MaxEncryptedPlaintextBytes + 1);
        var lengthIfAllowed = KeyRing.MaxKeyIdLength + 3 + (int)Math.Ceiling((tooLong.Length + AesGcmSiv.TagBytes) * 4 / 3.0);

        Assert.True(lengthIfAllowed > Masker.ColumnLength);
        Assert.Throws<ArgumentException>(() => K1.Mask(MaskedField.DeviceId, tooLong));
    }

    [Fact]
    public void Mask_MultiByteInputAtTheByteLimit_Fits()
    {
        // 37 four-byte characters (148 bytes) and one ASCII: 149 UTF-8 bytes, 75 UTF-16 units.
        var value = string.Concat(Enumerable.Repeat("\U0001F600", 37)) + "a";
        Assert.Equal(Masker.MaxEncryptedPlaintextBytes, Encoding.UTF8.GetByteCount(value));

        var longestId = new string('k', KeyRing.MaxKeyIdLength);
        var masked = MaskerWith(longestId, (longestId, KeyBase64)).Mask(MaskedField.DeviceId, value)!;
        Assert.True(masked.Length <= Masker.ColumnLength);
    }

    private static KeyRing K1Ring() => KeyRing.Create(new MaskingOptions { Keys = { ["k1"] = KeyBase64 }, ActiveKeyId = "k1" }, allowDevelopmentKey: false);

    private static Masker MaskerWith(string activeKeyId, params (string Id, string Base64)[] keys)
    {
        var options = new MaskingOptions { ActiveKeyId = activeKeyId };
        foreach (var (id, base64) in keys)
        {
            options.Keys[id] = base64;
        }

        return new Masker(KeyRing.Create(options, allowDevelopmentKey: false), MaskingAlgorithm.AesGcmSiv);
    }
}
