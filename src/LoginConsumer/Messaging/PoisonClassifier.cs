using System.Text.Json;
using System.Runtime.Serialization;
using MassTransit;

namespace LoginConsumer.Messaging;

/// <summary>
/// Tells poison (never retry, dead-letter now) from everything else (transient: leave for redelivery).
/// The reasons it writes carry no text from the body: JSON parser messages can quote it.
/// </summary>
public static class PoisonClassifier
{
    public static PoisonReason? Classify(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PoisonMessageException poison:
                    return new PoisonReason(poison.Code, poison.Message, nameof(PoisonMessageException));
                case JsonException json:
                    return new PoisonReason("invalid_json", DescribeJsonError(json), typeof(JsonException).FullName!);
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    return Classify(aggregate.InnerExceptions[0]);
            }
        }

        return exception switch
        {
            SerializationException => new PoisonReason("invalid_json", "The body could not be deserialized as a login event.", typeof(SerializationException).FullName!),
            MessageNotConsumedException => new PoisonReason("not_login_event", "Not a login event: the body is not a JSON object that reads as one.", typeof(MessageNotConsumedException).FullName!),
            _ => null,
        };
    }

    private static string DescribeJsonError(JsonException json)
    {
        var where = json.Path is { Length: > 0 } path ? $" at {path}" : string.Empty;
        var position = json.LineNumber is { } line ? $" (line {line + 1}, byte {json.BytePositionInLine + 1})" : string.Empty;
        return json.Path is { Length: > 1 }
            ? $"A field has the wrong JSON type{where}{position}: every login field must be a string or null."
            : $"The body is not a valid JSON object{where}{position}.";
    }
}
