namespace LoginConsumer.Masking;

/// <summary>One key of the ring, with a sub-key per field derived once at start-up.</summary>
public sealed class MaskingKey
{
    private readonly byte[] _ipKey;
    private readonly byte[] _deviceIdKey;

    public MaskingKey(string id, byte[] material)
    {
        Id = id;
        _ipKey = DeriveFieldKey(material, "ip");
        _deviceIdKey = DeriveFieldKey(material, "device_id");
    }

    public string Id { get; }

    public ReadOnlySpan<byte> FieldKey(MaskedField field) => field switch
    {
        MaskedField.Ip => _ipKey,
        MaskedField.DeviceId => _deviceIdKey,
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    // Domain separation: one HMAC per field label, so the same string masked as ip and as device_id differs.
    private static byte[] DeriveFieldKey(byte[] material, string fieldLabel) =>
        System.Security.Cryptography.HMACSHA256.HashData(material, System.Text.Encoding.UTF8.GetBytes("loginconsumer/v1/field/" + fieldLabel));
}
