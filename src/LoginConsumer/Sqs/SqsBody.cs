using System.Text.Json;

namespace LoginConsumer.Sqs;

/// <summary>
/// The text to process for an SQS body. Two transport wrappings are removed, nothing else is changed:
/// a leading byte-order mark, and the SNS notification envelope that an SNS → SQS subscription without
/// raw message delivery puts around the published message.
/// </summary>
public static class SqsBody
{
    private const char ByteOrderMark = '\uFEFF';
    private const int MaxSnsMessageIdLength = 100;

    public static string Unwrap(string? body) => Unwrap(body, out _);

    /// <summary>The body without its wrappings, and the SNS envelope when it came wrapped in one (authentic or not).</summary>
    public static string Unwrap(string? body, out SnsEnvelope? envelope)
    {
        envelope = null;
        var text = (body ?? string.Empty).TrimStart(ByteOrderMark);
        if (TryUnwrapSnsNotification(text, out var found))
        {
            envelope = found;
            text = found.Message.TrimStart(ByteOrderMark);
        }

        return text;
    }

    private static bool TryUnwrapSnsNotification(string text, out SnsEnvelope envelope)
    {
        envelope = null!;

        // Cheap test first: almost every body is a bare login event.
        if (!text.Contains("\"TopicArn\"", StringComparison.Ordinal) || !text.Contains("\"Notification\"", StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("Type", out var type) && type.ValueEquals("Notification")
                && root.TryGetProperty("TopicArn", out var topic) && topic.ValueKind == JsonValueKind.String
                && root.TryGetProperty("Message", out var inner) && inner.ValueKind == JsonValueKind.String)
            {
                // An id that is not a short printable one is no id: such an envelope can never verify.
                var id = String(root, "MessageId") is { Length: > 0 and <= MaxSnsMessageIdLength } text2 && text2.All(c => c is > ' ' and < '\u007f') ? text2 : string.Empty;
                envelope = new SnsEnvelope(
                    inner.GetString()!,
                    id,
                    topic.GetString()!,
                    String(root, "Subject"),
                    String(root, "Timestamp") ?? string.Empty,
                    String(root, "SignatureVersion") ?? string.Empty,
                    String(root, "Signature") ?? string.Empty,
                    String(root, "SigningCertURL") ?? string.Empty);
                return true;
            }
        }
        catch (JsonException)
        {
            // Not JSON after all: the consumer's own checks will say so.
        }

        return false;
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
