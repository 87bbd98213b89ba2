using LoginConsumer.Masking;
using LoginConsumer.Persistence;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Messaging;

/// <summary>
/// Decides poison once, before batching. Reasons name the field and the rule, never the value.
/// Lengths count Unicode code points, as PostgreSQL's varchar(n) does; nothing is truncated.
/// </summary>
public sealed class LoginEventValidator(IOptions<MaskingOptions> maskingOptions)
{
    private readonly int _maxIp = maskingOptions.Value.MaxIpLength;
    private readonly int _maxDeviceId = maskingOptions.Value.MaxDeviceIdLength;
    private readonly bool _encrypting = maskingOptions.Value.Algorithm == MaskingAlgorithm.AesGcmSiv;

    public ValidatedLogin Validate(LoginEvent? message)
    {
        if (message is null)
        {
            throw new PoisonMessageException("not_login_event", "Not a login event: the body is JSON null, not an object.");
        }

        if (string.IsNullOrEmpty(message.UserId))
        {
            throw new PoisonMessageException("not_login_event", "Not a login event: user_id is missing, null or empty.");
        }

        CheckText(LoginFields.UserId, message.UserId, UserLoginColumns.UserId);
        CheckText(LoginFields.DeviceType, message.DeviceType, UserLoginColumns.DeviceType);
        CheckText(LoginFields.Locale, message.Locale, UserLoginColumns.Locale);
        CheckText(LoginFields.AppVersion, message.AppVersion, UserLoginColumns.AppVersionText);
        CheckText(LoginFields.Ip, message.Ip, _maxIp);
        CheckText(LoginFields.DeviceId, message.DeviceId, _maxDeviceId);

        string? ip = null;
        if (message.Ip is not null && !IpCanonicalizer.TryCanonicalize(message.Ip, out ip))
        {
            throw new PoisonMessageException("invalid_ip", "ip is not a valid IPv4 (dotted-quad) or IPv6 address.");
        }

        if (_encrypting)
        {
            CheckEncryptable(LoginFields.Ip, ip);
            CheckEncryptable(LoginFields.DeviceId, message.DeviceId);
        }

        return new ValidatedLogin(
            message.UserId,
            message.DeviceType,
            ip,
            message.Locale,
            message.DeviceId,
            message.AppVersion,
            AppVersion.Encode(message.AppVersion));
    }

    // Ciphertext grows with the input, so under AesGcmSiv the column limit is one of UTF-8 bytes (see Masker).
    private static void CheckEncryptable(string field, string? value)
    {
        if (value is not null && System.Text.Encoding.UTF8.GetByteCount(value) > Masker.MaxEncryptedPlaintextBytes)
        {
            throw new PoisonMessageException(
                "too_long",
                $"{field} is longer than {Masker.MaxEncryptedPlaintextBytes} UTF-8 bytes, the most that fits varchar({Masker.ColumnLength}) once encrypted with AesGcmSiv.");
        }
    }

    private static void CheckText(string field, string? value, int maxCodePoints)
    {
        if (value is null)
        {
            return;
        }

        var count = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                throw new PoisonMessageException("invalid_text", $"{field} contains a NUL character, which PostgreSQL text cannot hold.");
            }

            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new PoisonMessageException("invalid_text", $"{field} contains an unpaired UTF-16 surrogate.");
            }

            if (++count > maxCodePoints)
            {
                throw new PoisonMessageException("too_long", $"{field} is longer than {maxCodePoints} characters.");
            }
        }
    }
}
