using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace LoginConsumer.Masking;

/// <summary>
/// Masks ip and device_id under the active key of the ring, with the configured algorithm:
/// <list type="bullet">
/// <item>HmacSha256 (default): HMAC-SHA256 under a per-field sub-key, written "&lt;keyId&gt;:&lt;base64url digest&gt;".
/// One-way: equal inputs give equal outputs under one key, and without the key nobody can test guesses.</item>
/// <item>AesGcmSiv: AES-256-GCM-SIV with a fixed nonce per key and the field name as associated data, written
/// "&lt;keyId&gt;:e:&lt;base64url ciphertext and tag&gt;". Deterministic too, and reversible with the key.</item>
/// </list>
/// </summary>
public sealed class Masker(KeyRing keyRing, MaskingAlgorithm algorithm = MaskingAlgorithm.HmacSha256)
{
    public const string EncryptedMarker = "e";

    /// <summary>What an encrypted value holds right after its key id, and a one-way value never holds.</summary>
    public const string EncryptedInfix = ":" + EncryptedMarker + ":";

    private const int DigestBytes = 32;
    private const int DigestChars = 43; // base64url of 32 bytes, unpadded
    private const int StackLimit = 512;

    /// <summary>The longest HMAC value any key can produce: used to prove it fits varchar(256).</summary>
    public const int MaxMaskedLength = KeyRing.MaxKeyIdLength + 1 + DigestChars;

    /// <summary>The column every masked value must fit, in characters.</summary>
    public const int ColumnLength = 256;

    /// <summary>
    /// The most UTF-8 bytes AesGcmSiv can take and still fit the column under the longest key id: "id:e:" plus
    /// base64url of (plaintext + 16-byte tag) ≤ 256 characters. Longer values are poison, never truncated.
    /// </summary>
    public const int MaxEncryptedPlaintextBytes = (ColumnLength - KeyRing.MaxKeyIdLength - 3) * 3 / 4 - AesGcmSiv.TagBytes;

    public MaskingAlgorithm Algorithm => algorithm;

    public string? Mask(MaskedField field, string? value) => value is null
        ? null
        : algorithm == MaskingAlgorithm.AesGcmSiv ? Encrypt(keyRing.Active, field, value) : Mask(keyRing.Active, field, value);

    public static string Mask(MaskingKey key, MaskedField field, string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        byte[]? rented = null;
        var input = byteCount <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var written = Encoding.UTF8.GetBytes(value, input);
            Span<byte> digest = stackalloc byte[DigestBytes];
            key.HashField(field, input[..written], digest);
            return Format(key.Id, digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static string Encrypt(MaskingKey key, MaskedField field, string value)
    {
        var plaintext = Encoding.UTF8.GetBytes(value);
        if (plaintext.Length > MaxEncryptedPlaintextBytes)
        {
            throw new ArgumentException($"{FieldName(field)} is {plaintext.Length} UTF-8 bytes; at most {MaxEncryptedPlaintextBytes} fit the column once encrypted.", nameof(value));
        }

        var sealedBytes = AesGcmSiv.Seal(key.EncryptionKey, key.EncryptionNonce, AssociatedData(field), plaintext);
        return key.Id + EncryptedInfix + Base64Url.EncodeToString(sealedBytes);
    }

    /// <summary>
    /// Recovers the original of a value this service encrypted, or says why it cannot: one-way HMAC values, keys
    /// missing from the ring, and values that fail authentication (altered, or masked as the other field).
    /// </summary>
    public bool TryUnmask(MaskedField field, string masked, out string original, out string error)
    {
        original = string.Empty;
        var parts = masked.Split(':');
        if (parts.Length == 2)
        {
            error = "This value is an HMAC-SHA256 pseudonym, which is one-way: nobody can recover the original, with or without the key.";
            return false;
        }

        if (parts.Length != 3 || parts[1] != EncryptedMarker || parts[0].Length == 0)
        {
            error = "This is not a masked value: expected \"<keyId>:e:<base64url>\".";
            return false;
        }

        if (!keyRing.TryGet(parts[0], out var key))
        {
            error = $"Key '{parts[0]}' is not in Masking:Keys; configure it to unmask values made with it.";
            return false;
        }

        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (FormatException)
        {
            error = "The value's payload is not valid base64url.";
            return false;
        }

        if (!AesGcmSiv.TryOpen(key.EncryptionKey, key.EncryptionNonce, AssociatedData(field), sealedBytes, out var plaintext))
        {
            error = $"The value does not authenticate as {FieldName(field)} under key '{key.Id}': it was altered, or it belongs to the other field.";
            return false;
        }

        original = Encoding.UTF8.GetString(plaintext);
        error = string.Empty;
        return true;
    }

    /// <summary>What every value made with the key <paramref name="keyId"/> starts with.</summary>
    public static string KeyPrefix(string keyId) => keyId + ":";

    /// <summary>The key id a masked value was made with, and whether it is reversible; null for text that is no masked value.</summary>
    public static (string KeyId, bool Encrypted)? Describe(string masked)
    {
        var parts = masked.Split(':');
        return parts switch
        {
            [var id, _] when id.Length > 0 => (id, false),
            [var id, EncryptedMarker, _] when id.Length > 0 => (id, true),
            _ => null,
        };
    }

    public static string FieldName(MaskedField field) => field switch
    {
        MaskedField.Ip => "ip",
        MaskedField.DeviceId => "device_id",
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    private static readonly byte[] IpAssociatedData = Encoding.UTF8.GetBytes("ip");
    private static readonly byte[] DeviceIdAssociatedData = Encoding.UTF8.GetBytes("device_id");

    // The field name as associated data: an ip ciphertext copied into device_id fails authentication.
    private static byte[] AssociatedData(MaskedField field) => field == MaskedField.Ip ? IpAssociatedData : DeviceIdAssociatedData;

    private static string Format(string keyId, ReadOnlySpan<byte> digest)
    {
        Span<char> buffer = stackalloc char[MaxMaskedLength];
        keyId.CopyTo(buffer);
        buffer[keyId.Length] = ':';
        var chars = Base64Url.EncodeToChars(digest, buffer[(keyId.Length + 1)..]);
        return new string(buffer[..(keyId.Length + 1 + chars)]);
    }
}
