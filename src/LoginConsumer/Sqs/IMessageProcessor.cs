namespace LoginConsumer.Sqs;

/// <summary>
/// What the transport hands each message to. It returns the outcome and never throws for a message's sake; the
/// transport settles the message's lease by it. The composition supplies the implementation, so this folder knows
/// nothing of what a message means.
/// </summary>
public interface IMessageProcessor
{
    Task<MessageOutcome> ProcessAsync(IncomingMessage message, CancellationToken cancellationToken);
}
