using LoginConsumer.Messaging;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Logging;

namespace LoginConsumer.Hosting;

/// <summary>
/// Joins the two rooms: the transport's message becomes the login processor's body and transport facts, and the
/// processor's outcome becomes the transport's settlement. Neither room knows the other.
/// </summary>
public sealed partial class LoginMessageProcessing(LoginMessageProcessor processor, ILogger<LoginMessageProcessing> logger) : IMessageProcessor
{
    public async Task<MessageOutcome> ProcessAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        var outcome = await processor.ProcessAsync(
            message.Body,
            new TransportFacts(message.RowKey, message.SentTimestampMs, message.ReceiveCount),
            cancellationToken).ConfigureAwait(false);
        if (outcome.Poison is { } poison)
        {
            return MessageOutcome.DeadLettered(new DeadLetterReason(poison.Code, poison.Message, poison.ExceptionType));
        }

        if (outcome.Failure is { } failure)
        {
            LogFailed(failure, message.SqsMessageId, message.ReceiveCount);
            return MessageOutcome.Release;
        }

        return MessageOutcome.Complete;
    }

    [LoggerMessage(EventId = 1209, Level = LogLevel.Warning, Message = "Processing {MessageId} (receive {ReceiveCount}) failed after its retries")]
    private partial void LogFailed(Exception exception, string messageId, int receiveCount);
}
