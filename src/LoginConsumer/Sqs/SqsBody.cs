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

    /// <summary>The body without its wrappings, and the SNS notification's MessageId when it came wrapped in one.</summary>
    public static string Unwrap(string? body, out string? snsMessageId)
    {
        snsMessageId = null;
        var text = (body ?? string.Empty).TrimStart(ByteOrderMark);
        if (TryUnwrapSnsNotification(text, out var inner, out snsMessageId))
        {
            text = inner.TrimStart(ByteOrderMark);
        }

        return text;
    }

    private static bool TryUnwrapSnsNotification(string text, out string message, out string? messageId)
    {
        message = string.Empty;
        messageId = null;

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

                // SNS delivers at least once: the same notification twice carries the same MessageId. An id that is not a
                // short printable one is no id, and the SQS MessageId keys the row instead.
                if (root.TryGetProperty("MessageId", out var id) && id.ValueKind == JsonValueKind.String
                    && id.GetString() is { Length: > 0 and <= MaxSnsMessageIdLength } text2 && text2.All(c => c is > ' ' and < '\u007f'))
                {
                    messageId = text2;
                }

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
