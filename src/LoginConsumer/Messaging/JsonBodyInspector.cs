using System.Text.Json;

namespace LoginConsumer.Messaging;

/// <summary>
/// Checks a body's shape before anything deserializes it: size, a single JSON object at the top,
/// nesting depth, and no login field given twice (which of two user_ids would be the real one?).
/// One forward-only pass with no allocation; reasons carry no text from the body.
/// </summary>
public static class JsonBodyInspector
{
    private static readonly string[] LoginFields = ["user_id", "device_type", "ip", "locale", "device_id", "app_version"];

    public static void Check(ReadOnlySpan<byte> body, int maxBytes, int maxDepth)
    {
        if (body.Length > maxBytes)
        {
            throw new PoisonMessageException("too_large", $"The body is {body.Length} bytes; at most {maxBytes} are accepted.");
        }

        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new PoisonMessageException("not_login_event", "The body is empty.");
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var seen = 0;
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new PoisonMessageException("not_login_event", $"Not a login event: the body is a JSON {Describe(reader.TokenType)}, not an object.");
            }

            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName)
                {
                    for (var i = 0; i < LoginFields.Length; i++)
                    {
                        if (reader.ValueTextEquals(LoginFields[i]))
                        {
                            if ((seen & (1 << i)) != 0)
                            {
                                throw new PoisonMessageException("duplicate_field", $"The body gives {LoginFields[i]} more than once.");
                            }

                            seen |= 1 << i;
                        }
                    }
                }
            }
        }
        catch (JsonException ex) when (reader.CurrentDepth >= maxDepth - 1)
        {
            throw new PoisonMessageException("too_deep", $"The body nests JSON deeper than {maxDepth} levels.", ex);
        }
        catch (JsonException ex)
        {
            throw new PoisonMessageException("invalid_json", $"The body is not valid JSON (byte {reader.BytesConsumed + 1}).", ex);
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => "value",
    };
}
