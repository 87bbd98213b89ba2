using System.Text.Json.Serialization;

namespace LoginConsumer.Messaging;

/// <summary>The login event as producers write it: a bare JSON object with snake_case fields, any of which may be null or missing.</summary>
public sealed record LoginEvent
{
    [JsonPropertyName(LoginFields.UserId)]
    public string? UserId { get; init; }

    [JsonPropertyName(LoginFields.DeviceType)]
    public string? DeviceType { get; init; }

    [JsonPropertyName(LoginFields.Ip)]
    public string? Ip { get; init; }

    [JsonPropertyName(LoginFields.Locale)]
    public string? Locale { get; init; }

    [JsonPropertyName(LoginFields.DeviceId)]
    public string? DeviceId { get; init; }

    [JsonPropertyName(LoginFields.AppVersion)]
    public string? AppVersion { get; init; }
}
