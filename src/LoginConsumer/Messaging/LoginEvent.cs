using System.Text.Json.Serialization;

namespace LoginConsumer.Messaging;

/// <summary>The login event as producers write it: a bare JSON object with snake_case fields, any of which may be null or missing.</summary>
public sealed record LoginEvent
{
    [JsonPropertyName("user_id")]
    public string? UserId { get; init; }

    [JsonPropertyName("device_type")]
    public string? DeviceType { get; init; }

    [JsonPropertyName("ip")]
    public string? Ip { get; init; }

    [JsonPropertyName("locale")]
    public string? Locale { get; init; }

    [JsonPropertyName("device_id")]
    public string? DeviceId { get; init; }

    [JsonPropertyName("app_version")]
    public string? AppVersion { get; init; }
}
