using System.Globalization;
using System.Text;
using MassTransit.Transports;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Messaging;

/// <summary>
/// The whole of processing one message, as one call: the body's shape is checked before anything deserializes it,
/// then MassTransit's dispatcher runs the consumer with its retry policy. Whatever happens comes back as an outcome
/// value; nothing is thrown at the transport.
/// </summary>
public sealed class LoginMessageProcessor(IReceiveEndpointDispatcher dispatcher, IOptions<ConsumerOptions> options)
{
    private readonly ConsumerOptions _options = options.Value;

    public async Task<ProcessingOutcome> ProcessAsync(string body, TransportFacts facts, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            JsonBodyInspector.Check(bytes, _options.MaxBodyBytes, _options.MaxJsonDepth);
            await dispatcher.Dispatch(bytes, Headers(facts), cancellationToken).ConfigureAwait(false);
            return ProcessingOutcome.Stored;
        }
        catch (Exception ex)
        {
            return PoisonClassifier.Classify(ex) is { } reason ? ProcessingOutcome.Poisoned(reason) : ProcessingOutcome.Failed(ex);
        }
    }

    internal static Dictionary<string, object> Headers(TransportFacts facts)
    {
        var headers = new Dictionary<string, object>(5)
        {
            [TransportHeaders.MessageId] = facts.RowKey,
            [TransportHeaders.ReceiveCount] = facts.ReceiveCount,
            [TransportHeaders.SentTime] = facts.SentTimestampMs.ToString(CultureInfo.InvariantCulture),
            ["Content-Type"] = "application/json",
        };

        // MassTransit's own MessageId must be a Guid; SQS ids are UUIDs on AWS but need not be elsewhere.
        if (Guid.TryParse(facts.RowKey, out _))
        {
            headers["MessageId"] = facts.RowKey;
        }

        return headers;
    }
}
