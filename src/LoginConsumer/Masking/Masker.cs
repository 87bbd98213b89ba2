using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace LoginConsumer.Masking;

/// <summary>
/// Keyed one-way masking: HMAC-SHA256 under a per-field sub-key of the active key, written as
/// "&lt;keyId&gt;:&lt;base64url digest&gt;". Equal inputs give equal outputs under one key; without the key
/// nobody can test guesses, so enumerating all IPv4 addresses is no help.
/// </summary>
public sealed class Masker(KeyRing keyRing)
{
    private const int DigestBytes = 32;
    private const int DigestChars = 43; // base64url of 32 bytes, unpadded
    private const int StackLimit = 512;

    /// <summary>The longest masked value any key can produce: used to prove it fits varchar(256).</summary>
    public const int MaxMaskedLength = KeyRing.MaxKeyIdLength + 1 + DigestChars;

    public string? Mask(MaskedField field, string? value) => value is null ? null : Mask(keyRing.Active, field, value);

    public static string Mask(MaskingKey key, MaskedField field, string value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        byte[]? rented = null;
        var input = byteCount <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(byteCount));
        try
        {
            var written = Encoding.UTF8.GetBytes(value, input);
            Span<byte> digest = stackalloc byte[DigestBytes];
            HMACSHA256.HashData(key.FieldKey(field), input[..written], digest);
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

    private static string Format(string keyId, ReadOnlySpan<byte> digest)
    {
        Span<char> buffer = stackalloc char[MaxMaskedLength];
        keyId.CopyTo(buffer);
        buffer[keyId.Length] = ':';
        var chars = Base64Url.EncodeToChars(digest, buffer[(keyId.Length + 1)..]);
        return new string(buffer[..(keyId.Length + 1 + chars)]);
    }
}
