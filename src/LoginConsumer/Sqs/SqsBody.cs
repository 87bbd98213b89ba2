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

    public static string Unwrap(string? body)
    {
        var text = (body ?? string.Empty).TrimStart(ByteOrderMark);
        if (TryUnwrapSnsNotification(text, out var inner))
        {
            text = inner.TrimStart(ByteOrderMark);
        }

        return text;
    }

    private static bool TryUnwrapSnsNotification(string text, out string message)
    {
        message = string.Empty;

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
                message = inner.GetString()!;
                return true;
            }
        }
        catch (JsonException)
        {
            // Not JSON after all: the consumer's own checks will say so.
        }

        return false;
    }
}
