namespace LoginConsumer.Messaging;

/// <summary>A login event that passed validation; <see cref="Ip"/> is canonical and both PII fields are still raw.</summary>
public sealed record ValidatedLogin(
    string UserId,
    string? DeviceType,
    string? Ip,
    string? Locale,
    string? DeviceId,
    string? AppVersionText,
    int? AppVersion);
