using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace LoginConsumer.Masking;

/// <summary>
/// AEAD_AES_256_GCM_SIV (RFC 8452) from BouncyCastle. Misuse resistant: a repeated nonce only reveals that two
/// (plaintext, associated data) pairs are equal, which is exactly the equality deterministic masking wants to keep.
/// </summary>
public static class AesGcmSiv
{
    public const int KeyBytes = 32;
    public const int NonceBytes = 12;
    public const int TagBytes = 16;

    public static byte[] Seal(byte[] key, byte[] nonce, byte[] associatedData, byte[] plaintext)
    {
        var cipher = Create(forEncryption: true, key, nonce, associatedData);
        var output = new byte[cipher.GetOutputSize(plaintext.Length)];
        var written = cipher.ProcessBytes(plaintext, 0, plaintext.Length, output, 0);
        written += cipher.DoFinal(output, written);
        return written == output.Length ? output : output[..written];
    }

    /// <summary>Decrypts and authenticates; false when the key, nonce, associated data or ciphertext do not match.</summary>
    public static bool TryOpen(byte[] key, byte[] nonce, byte[] associatedData, byte[] sealedBytes, out byte[] plaintext)
    {
        plaintext = [];
        if (sealedBytes.Length < TagBytes)
        {
            return false;
        }

        var cipher = Create(forEncryption: false, key, nonce, associatedData);
        var output = new byte[cipher.GetOutputSize(sealedBytes.Length)];
        try
        {
            var written = cipher.ProcessBytes(sealedBytes, 0, sealedBytes.Length, output, 0);
            written += cipher.DoFinal(output, written);
            plaintext = written == output.Length ? output : output[..written];
            return true;
        }
        catch (InvalidCipherTextException)
        {
            return false;
        }
    }

    private static GcmSivBlockCipher Create(bool forEncryption, byte[] key, byte[] nonce, byte[] associatedData)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"AES-256-GCM-SIV needs a {KeyBytes}-byte key.", nameof(key));
        }

        if (nonce.Length != NonceBytes)
        {
            throw new ArgumentException($"AES-GCM-SIV needs a {NonceBytes}-byte nonce.", nameof(nonce));
        }

        var cipher = new GcmSivBlockCipher();
        cipher.Init(forEncryption, new AeadParameters(new KeyParameter(key), TagBytes * 8, nonce, associatedData));
        return cipher;
    }
}
