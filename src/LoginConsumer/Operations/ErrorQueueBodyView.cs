using System.Text.Json;
using System.Text.Json.Nodes;
using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using LoginConsumer.Sqs;
using static System.FormattableString;

namespace LoginConsumer.Operations;

/// <summary>What operators may see of an error-queue message's body: never a raw ip or device_id.</summary>
public static class ErrorQueueBodyView
{
    /// <summary>
    /// A body as operators may see it: a login event's known fields with ip and device_id masked (as stored, with the
    /// active key), other fields by name only; anything else by size only.
    /// </summary>
    public static JsonNode Show(string body, Masker? masker)
    {
        JsonDocument document;
        try
        {
            // JsonDocument, not JsonNode: a body that repeats a key is shown (as repeated), not a failure of the whole list.
            document = JsonDocument.Parse(SqsBody.Unwrap(body));
        }
        catch (JsonException)
        {
            return NotShown(body);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return NotShown(body);
            }

            var safe = new JsonObject();
            var others = new JsonArray();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var name = property.Name;
                if (!LoginFields.Contains(name))
                {
                    others.Add((JsonNode)(name.Length <= 64 ? name : name[..64] + "…"));
                }
                else if (safe.ContainsKey(name))
                {
                    safe[name] = "(given more than once)";
                }
                else
                {
                    safe[name] = Shown(name, property.Value, masker);
                }
            }

            if (others.Count > 0)
            {
                safe["other_fields"] = others;
            }

            return safe;
        }
    }

    // ip and device_id as they would be stored; the other login fields as given, when short text.
    private static JsonNode? Shown(string name, JsonElement value, Masker? masker)
    {
        if (name.Equals(LoginFields.Ip, StringComparison.OrdinalIgnoreCase))
        {
            return Masked(MaskedField.Ip, value, masker);
        }

        if (name.Equals(LoginFields.DeviceId, StringComparison.OrdinalIgnoreCase))
        {
            return Masked(MaskedField.DeviceId, value, masker);
        }

        return value.ValueKind == JsonValueKind.String && value.GetString() is { Length: <= 200 } text ? text : "(not a short string)";
    }

    /// <summary>What ip and device_id show where no masking key is configured: on-call needs no key to see why a message failed.</summary>
    public const string Redacted = "(redacted: no masking key here)";

    private static JsonValue NotShown(string body) => JsonValue.Create(Invariant($"(not a JSON object: {body.Length} characters, not shown)"));

    private static JsonNode? Masked(MaskedField field, JsonElement value, Masker? masker)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { } text)
        {
            return "(not a string)";
        }

        if (masker is null)
        {
            return Redacted;
        }

        if (field == MaskedField.Ip && IpCanonicalizer.TryCanonicalize(text, out var canonical))
        {
            text = canonical;
        }

        try
        {
            return masker.Mask(field, text);
        }
        catch (ArgumentException)
        {
            return "(too long to mask)";
        }
    }
}
