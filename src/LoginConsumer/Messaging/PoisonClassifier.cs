using System.Runtime.Serialization;
using System.Text.Json;
using LoginConsumer.Persistence;
using MassTransit;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Messaging;

/// <summary>
/// Tells poison (never retry, dead-letter now) from everything else (transient: leave for redelivery). Poison is
/// <see cref="PoisonMessageException"/>, with its code; the rest of <see cref="PoisonTypes"/> are the forms it takes
/// inside MassTransit (its deserializer's JSON and serialization failures, a body no consumer took).
/// <see cref="PoisonTypes"/> is the one list of what is poison: the consumer definition's retry policy ignores exactly
/// these, and <see cref="Classify"/> dead-letters exactly these. The reasons it writes carry no text from the body:
/// JSON parser messages can quote it.
/// </summary>
public static class PoisonClassifier
{
    public static readonly Type[] PoisonTypes =
    [
        typeof(PoisonMessageException),
        typeof(JsonException),
        typeof(SerializationException),
        typeof(MessageNotConsumedException),
    ];

    public static PoisonReason? Classify(Exception exception)
    {
        // The most telling reason wins: a JsonException inside MassTransit's SerializationException names the field.
        PoisonReason? outer = null;
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is AggregateException { InnerExceptions.Count: 1 } aggregate)
            {
                return Classify(aggregate.InnerExceptions[0]) ?? outer;
            }

            if (current is PoisonMessageException or JsonException)
            {
                return Reason(current);
            }

            if (outer is null && Array.Exists(PoisonTypes, type => type.IsInstanceOfType(current)))
            {
                outer = Reason(current);
            }
        }

        return outer;
    }

    private static PoisonReason Reason(Exception poison) => poison switch
    {
        PoisonMessageException p => new PoisonReason(p.Code, p.Message, nameof(PoisonMessageException)),
        JsonException json => new PoisonReason("invalid_json", DescribeJsonError(json), typeof(JsonException).FullName!),
        MessageNotConsumedException => new PoisonReason("not_login_event", "Not a login event: the body is not a JSON object that reads as one.", typeof(MessageNotConsumedException).FullName!),
        _ => new PoisonReason("invalid_json", "The body could not be deserialized as a login event.", poison.GetType().FullName!),
    };

    private static string DescribeJsonError(JsonException json)
    {
        var where = json.Path is { Length: > 0 } path ? $" at {path}" : string.Empty;
        var position = json.LineNumber is { } line ? $" (line {line + 1}, byte {json.BytePositionInLine + 1})" : string.Empty;
        return json.Path is { Length: > 1 }
            ? $"A field has the wrong JSON type{where}{position}: every login field must be a string or null."
            : $"The body is not a valid JSON object{where}{position}.";
    }
}
