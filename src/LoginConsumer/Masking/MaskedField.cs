namespace LoginConsumer.Masking;

/// <summary>The fields that are masked; each gets its own derived key so equal strings in different fields never match.</summary>
public enum MaskedField
{
    Ip,
    DeviceId,
}
