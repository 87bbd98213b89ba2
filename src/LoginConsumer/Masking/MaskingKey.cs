using System.Security.Cryptography;
using System.Text;

namespace LoginConsumer.Masking;

/// <summary>One key of the ring, with the sub-keys each algorithm needs derived once at start-up.</summary>
public sealed class MaskingKey
{
    private readonly byte[] _ipKey;
    private readonly byte[] _deviceIdKey;

    public MaskingKey(string id, byte[] material)
    {
        Id = id;
        _ipKey = Derive(material, "loginconsumer/v1/field/ip");
        _deviceIdKey = Derive(material, "loginconsumer/v1/field/device_id");
        EncryptionKey = Derive(material, "loginconsumer/v1/aes-gcm-siv/key");
        EncryptionNonce = Derive(material, "loginconsumer/v1/aes-gcm-siv/nonce")[..AesGcmSiv.NonceBytes];
    }

    public string Id { get; }

    /// <summary>The AES-256-GCM-SIV key, separate from the HMAC sub-keys so no key serves two algorithms.</summary>
    internal byte[] EncryptionKey { get; }

    /// <summary>Fixed per key, so equal values encrypt equally; AES-GCM-SIV stays safe when a nonce repeats.</summary>
    internal byte[] EncryptionNonce { get; }

    public ReadOnlySpan<byte> FieldKey(MaskedField field) => field switch
    {
        MaskedField.Ip => _ipKey,
        MaskedField.DeviceId => _deviceIdKey,
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    // Domain separation: one HMAC per label, so the same string masked as ip and as device_id differs.
    private static byte[] Derive(byte[] material, string label) => HMACSHA256.HashData(material, Encoding.UTF8.GetBytes(label));
}
