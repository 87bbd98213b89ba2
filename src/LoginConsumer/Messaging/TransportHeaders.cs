using System.Globalization;
using MassTransit;

namespace LoginConsumer.Messaging;

/// <summary>The headers the transport sets on every dispatched message: what the consumer may know of where a message came from.</summary>
public static class TransportHeaders
{
    public const string MessageId = "LC-MessageId";
    public const string SentTime = "LC-SentTime";
    public const string ReceiveCount = "ApproximateReceiveCount";

    public static string GetMessageId(Headers headers) =>
        headers.Get<string>(MessageId) ?? throw new InvalidOperationException($"The transport did not set the {MessageId} header.");

    public static DateTimeOffset GetSentTime(Headers headers) =>
        long.TryParse(headers.Get<string>(SentTime), NumberStyles.None, CultureInfo.InvariantCulture, out var epochMs)
            ? DateTimeOffset.FromUnixTimeMilliseconds(epochMs)
            : throw new InvalidOperationException($"The transport did not set the {SentTime} header.");
}
