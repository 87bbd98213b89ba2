using System.Text.Json;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Messaging;

/// <summary>
/// Checks a body's shape before anything deserializes it: size, a single JSON object at the top,
/// nesting depth, and no login field given twice (which of two user_ids would be the real one?).
/// One forward-only pass with no allocation; reasons carry no text from the body. Field names compare
/// case-insensitively, as MassTransit's deserializer reads them. Syntax is strict RFC 8259: no comments,
/// no trailing commas.
/// </summary>
public static class JsonBodyInspector
{
    private const int MaxRawFieldNameLength = 96; // the longest login field name, even fully \u-escaped

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
        Span<char> name = stackalloc char[MaxRawFieldNameLength];
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new PoisonMessageException("not_login_event", $"Not a login event: the body is a JSON {Describe(reader.TokenType)}, not an object.");
            }

            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueSpan.Length <= MaxRawFieldNameLength)
                {
                    // CopyString unescapes, so "user\u005fid" counts as user_id, as the deserializer will read it.
                    var length = reader.CopyString(name);
                    for (var i = 0; i < LoginFields.All.Length; i++)
                    {
                        if (name[..length].Equals(LoginFields.All[i], StringComparison.OrdinalIgnoreCase))
                        {
                            if ((seen & (1 << i)) != 0)
                            {
                                throw new PoisonMessageException("duplicate_field", $"The body gives {LoginFields.All[i]} more than once.");
                            }

                            seen |= 1 << i;
                            CheckEscapedString(ref reader, LoginFields.All[i]);
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

    /// <summary>An escaped string can spell an unpaired surrogate ("\ud800"), which no .NET string reader accepts.</summary>
    private static void CheckEscapedString(ref Utf8JsonReader reader, string field)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.String || !reader.ValueIsEscaped)
        {
            return;
        }

        try
        {
            _ = reader.GetString();
        }
        catch (InvalidOperationException ex)
        {
            throw new PoisonMessageException("invalid_text", $"{field} contains an unpaired UTF-16 surrogate escape.", ex);
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
