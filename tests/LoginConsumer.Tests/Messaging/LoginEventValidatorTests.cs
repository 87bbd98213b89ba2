using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using LoginConsumer.Persistence;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Messaging;

public sealed class LoginEventValidatorTests
{
    private static readonly LoginEventValidator Validator = new(Options.Create(new MaskingOptions()));

    private static readonly LoginEvent Valid = new()
    {
        UserId = "424cdd21-063a-43a7-b91b-7ca1a833afae",
        AppVersion = "2.3.0",
        DeviceType = "android",
        Ip = "199.172.111.135",
        Locale = "RU",
        DeviceId = "593-47-5928",
    };

    [Fact]
    public void Validate_TheIssueExample_KeepsEveryField()
    {
        var login = Validator.Validate(Valid);
        Assert.Equal(new ValidatedLogin(Valid.UserId!, "android", "199.172.111.135", "RU", "593-47-5928", "2.3.0", 2_003_000), login);
    }

    [Fact]
    public void Validate_NullOptionalFields_StayNull()
    {
        var login = Validator.Validate(new LoginEvent { UserId = "u" });
        Assert.Equal(new ValidatedLogin("u", null, null, null, null, null, null), login);
    }

    [Fact]
    public void Validate_JsonNullBody_IsPoisonNotALoginEvent() =>
        Assert.Equal("not_login_event", Assert.Throws<PoisonMessageException>(() => Validator.Validate(null)).Code);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Validate_NoUserId_IsPoisonNotALoginEvent(string? userId) =>
        Assert.Equal("not_login_event", Assert.Throws<PoisonMessageException>(() => Validator.Validate(Valid with { UserId = userId })).Code);

    [Theory]
    [InlineData("user_id", 128)]
    [InlineData("device_type", 32)]
    [InlineData("locale", 32)]
    [InlineData("app_version", 64)]
    [InlineData("device_id", 128)]
    public void Validate_ValueExactlyAtItsLimit_IsAcceptedAndOneMoreIsPoison(string field, int limit)
    {
        Validator.Validate(With(field, new string('x', limit)));
        var poison = Assert.Throws<PoisonMessageException>(() => Validator.Validate(With(field, new string('x', limit + 1))));
        Assert.Equal("too_long", poison.Code);
        Assert.Contains(field, poison.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("xxx", poison.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LengthCountsCodePointsLikePostgres_NotUtf16Units()
    {
        var emoji32 = string.Concat(Enumerable.Repeat("😀", 32)); // 64 UTF-16 units, 32 characters
        Assert.Equal(emoji32, Validator.Validate(Valid with { Locale = emoji32 }).Locale);
    }

    [Fact]
    public void Validate_NulCharacter_IsPoison() =>
        Assert.Equal("invalid_text", Assert.Throws<PoisonMessageException>(() => Validator.Validate(Valid with { DeviceType = "a\0b" })).Code);

    [Fact]
    public void Validate_UnpairedSurrogate_IsPoison() =>
        Assert.Equal("invalid_text", Assert.Throws<PoisonMessageException>(() => Validator.Validate(Valid with { UserId = "u\ud800" })).Code);

    [Fact]
    public void Validate_InvalidIp_IsPoisonWithoutTheValue()
    {
        var poison = Assert.Throws<PoisonMessageException>(() => Validator.Validate(Valid with { Ip = "300.1.2.3" }));
        Assert.Equal("invalid_ip", poison.Code);
        Assert.DoesNotContain("300", poison.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Ipv4MappedIpv6_IsCanonicalisedToIpv4() =>
        Assert.Equal("199.172.111.135", Validator.Validate(Valid with { Ip = "::ffff:199.172.111.135" }).Ip);

    private static LoginEvent With(string field, string value) => field switch
    {
        "user_id" => Valid with { UserId = value },
        "device_type" => Valid with { DeviceType = value },
        "locale" => Valid with { Locale = value },
        "app_version" => Valid with { AppVersion = value },
        "device_id" => Valid with { DeviceId = value },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    // Privacy issue, item 3: compute the longest input each algorithm accepts and show its masked form fits varchar(256).
    [Theory]
    [InlineData(MaskingAlgorithm.HmacSha256)]
    [InlineData(MaskingAlgorithm.AesGcmSiv)]
    public void Validate_LongestAcceptedDeviceIdAndIp_MaskIntoTheColumn(MaskingAlgorithm algorithm)
    {
        var options = new MaskingOptions { Algorithm = algorithm, Keys = { [LongestKeyId] = KeyBase64 }, ActiveKeyId = LongestKeyId };
        var validator = new LoginEventValidator(Options.Create(options));
        var masker = new Masker(KeyRing.Create(options, allowDevelopmentKey: false), algorithm);

        // The longest device_id: under HMAC every code point may be 4 UTF-8 bytes; under AES the byte limit binds first.
        var deviceId = algorithm == MaskingAlgorithm.HmacSha256
            ? string.Concat(Enumerable.Repeat("\U0001F600", options.MaxDeviceIdLength))
            : string.Concat(Enumerable.Repeat("\U0001F600", Masker.MaxEncryptedPlaintextBytes / 4)) + new string('a', Masker.MaxEncryptedPlaintextBytes % 4);
        const string longestIp = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";

        var login = validator.Validate(Valid with { DeviceId = deviceId, Ip = longestIp });

        Assert.InRange(masker.Mask(MaskedField.DeviceId, login.DeviceId)!.Length, 1, UserLoginColumns.MaskedDeviceId);
        Assert.InRange(masker.Mask(MaskedField.Ip, login.Ip)!.Length, 1, UserLoginColumns.MaskedIp);
    }

    [Fact]
    public void Validate_DeviceIdWithinCharactersButOverTheEncryptedByteLimit_IsPoisonTooLongUnderAesOnly()
    {
        var deviceId = string.Concat(Enumerable.Repeat("\u00e9", 100)); // 100 characters, 200 UTF-8 bytes
        var message = Valid with { DeviceId = deviceId };
        var aes = new LoginEventValidator(Options.Create(new MaskingOptions { Algorithm = MaskingAlgorithm.AesGcmSiv }));

        Assert.Equal(deviceId, Validator.Validate(message).DeviceId);
        var poison = Assert.Throws<PoisonMessageException>(() => aes.Validate(message));
        Assert.Equal("too_long", poison.Code);
        Assert.Contains("149 UTF-8 bytes", poison.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(deviceId, poison.Message, StringComparison.Ordinal);
    }

    private const string KeyBase64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static readonly string LongestKeyId = new('k', KeyRing.MaxKeyIdLength);
}
