using System.Security.Cryptography;
using System.Text;

namespace LoginConsumer.Masking;

/// <summary>One key of the ring, with the sub-keys each algorithm needs derived once at start-up.</summary>
public sealed class MaskingKey : IDisposable
{
    // One keyed HMAC context per field and thread, reset after each digest: the one-shot HMACSHA256.HashData asks
    // OpenSSL for the algorithm on every call. Values are not tracked, so the context of a thread that ends is no
    // longer reachable and its native handle is released by its finalizer, not kept until the key is disposed.
    private readonly ThreadLocal<IncrementalHash?> _ipHmac = new(trackAllValues: false);
    private readonly ThreadLocal<IncrementalHash?> _deviceIdHmac = new(trackAllValues: false);
    private readonly byte[] _ipKey;
    private readonly byte[] _deviceIdKey;
    private bool _disposed;

    public MaskingKey(string id, byte[] material)
    {
        Id = id;
        _ipKey = Derive(material, "loginconsumer/v1/field/ip");
        _deviceIdKey = Derive(material, "loginconsumer/v1/field/device_id");
        EncryptionKey = Derive(material, "loginconsumer/v1/aes-gcm-siv/key");
        EncryptionNonce = Derive(material, "loginconsumer/v1/aes-gcm-siv/nonce")[..AesGcmSiv.NonceBytes];
        TransportAttributesKey = Derive(material, "loginconsumer/v1/transport-attributes");
    }

    public string Id { get; }

    /// <summary>The AES-256-GCM-SIV key, separate from the HMAC sub-keys so no key serves two algorithms.</summary>
    internal byte[] EncryptionKey { get; }

    /// <summary>Signs the redrive attributes (original message id and send time) the error queue carries back.</summary>
    internal byte[] TransportAttributesKey { get; }

    /// <summary>Fixed per key, so equal values encrypt equally; AES-GCM-SIV stays safe when a nonce repeats.</summary>
    internal byte[] EncryptionNonce { get; }

    /// <summary>HMAC-SHA256 of <paramref name="value"/> under the field's sub-key, written to <paramref name="digest"/> (32 bytes).</summary>
    public void HashField(MaskedField field, ReadOnlySpan<byte> value, Span<byte> digest)
    {
        var (fieldKey, contexts) = field switch
        {
            MaskedField.Ip => (_ipKey, _ipHmac),
            MaskedField.DeviceId => (_deviceIdKey, _deviceIdHmac),
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };
        var hmac = contexts.Value ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, fieldKey);
        try
        {
            hmac.AppendData(value);
            hmac.GetHashAndReset(digest);
        }
        catch
        {
            // A context that failed between append and reset may hold part of this value: never reuse it.
            contexts.Value = null;
            hmac.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // This thread's contexts now; other threads' become unreachable with the ThreadLocal and are finalized.
        foreach (var contexts in (ThreadLocal<IncrementalHash?>[])[_ipHmac, _deviceIdHmac])
        {
            contexts.Value?.Dispose();
            contexts.Dispose();
        }
    }

    // Domain separation: one HMAC per label, so the same string masked as ip and as device_id differs.
    private static byte[] Derive(byte[] material, string label) => HMACSHA256.HashData(material, Encoding.UTF8.GetBytes(label));
}
