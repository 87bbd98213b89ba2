namespace LoginConsumer.Masking;

/// <summary>How ip and device_id are masked; chosen with <c>Masking:Algorithm</c>.</summary>
public enum MaskingAlgorithm
{
    /// <summary>Keyed one-way pseudonyms (the default): nobody can recover the input, not even with the key.</summary>
    HmacSha256,

    /// <summary>Deterministic authenticated encryption (RFC 8452): whoever holds the key can recover the input.</summary>
    AesGcmSiv,
}
