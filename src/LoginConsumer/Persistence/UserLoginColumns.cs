namespace LoginConsumer.Persistence;

/// <summary>Column limits of user_logins (characters, as PostgreSQL's varchar counts them), shared by the mapping and validation.</summary>
public static class UserLoginColumns
{
    public const int MessageId = 128;
    public const int UserId = 128;
    public const int DeviceType = 32;
    public const int MaskedIp = 256;
    public const int MaskedDeviceId = 256;
    public const int Locale = 32;
    public const int AppVersionText = 64;
}
