namespace LoginConsumer.Messaging;

/// <summary>
/// The field names of a login event as producers write them: the contract (<see cref="LoginEvent"/>), the body
/// checks, the validator's messages and the error-queue view all take them from here.
/// </summary>
public static class LoginFields
{
    public const string UserId = "user_id";
    public const string DeviceType = "device_type";
    public const string Ip = "ip";
    public const string Locale = "locale";
    public const string DeviceId = "device_id";
    public const string AppVersion = "app_version";

    private static readonly string[] Names = [UserId, DeviceType, Ip, Locale, DeviceId, AppVersion];

    public static ReadOnlySpan<string> All => Names;

    /// <summary>Whether <paramref name="name"/> is one of them, compared as the deserializer compares: ignoring case.</summary>
    public static bool Contains(string name)
    {
        foreach (var field in Names)
        {
            if (string.Equals(field, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
