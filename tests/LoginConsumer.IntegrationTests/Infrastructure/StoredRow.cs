namespace LoginConsumer.IntegrationTests.Infrastructure;

public sealed record StoredRow(
    string MessageId,
    string? UserId,
    string? DeviceType,
    string? MaskedIp,
    string? MaskedDeviceId,
    string? Locale,
    int? AppVersion,
    string? AppVersionText,
    DateOnly? CreateDate);
