namespace LoginConsumer.Persistence;

/// <summary>One row of user_logins: one stored login event, keyed by the SQS message id that carried it.</summary>
public sealed class UserLogin
{
    public required string MessageId { get; init; }

    public string? UserId { get; init; }

    public string? DeviceType { get; init; }

    public string? MaskedIp { get; init; }

    public string? MaskedDeviceId { get; init; }

    public string? Locale { get; init; }

    public int? AppVersion { get; init; }

    public string? AppVersionText { get; init; }

    public DateOnly? CreateDate { get; init; }
}
