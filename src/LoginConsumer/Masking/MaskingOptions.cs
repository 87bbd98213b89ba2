using System.ComponentModel.DataAnnotations;

namespace LoginConsumer.Masking;

public sealed class MaskingOptions
{
    public const string SectionName = "Masking";

    /// <summary>Key id → base64 key material (at least 32 bytes). Bound from <c>Masking:Keys:&lt;id&gt;</c>.</summary>
    public Dictionary<string, string> Keys { get; set; } = [];

    /// <summary>HmacSha256 (default, one-way) or AesGcmSiv (reversible by whoever holds the key).</summary>
    public MaskingAlgorithm Algorithm { get; set; } = MaskingAlgorithm.HmacSha256;

    /// <summary>The key that masks new values; older keys stay for reading and re-keying.</summary>
    public string? ActiveKeyId { get; set; }

    [Range(1, 1024)]
    public int MaxIpLength { get; set; } = 64;

    [Range(1, 1024)]
    public int MaxDeviceIdLength { get; set; } = 128;
}
