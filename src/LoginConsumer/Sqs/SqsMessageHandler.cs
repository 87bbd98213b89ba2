using System.Text;
using Amazon.SQS.Model;
using LoginConsumer.Messaging;
using MassTransit.Transports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// Hands one received message to MassTransit's dispatcher and settles it by the outcome: consumed →
/// delete; poison → error queue, then delete; anything else (retries spent) → leave it, so SQS
/// redelivers it and, after MaxReceiveCount receives, its RedrivePolicy moves it to the error queue.
/// </summary>
public sealed partial class SqsMessageHandler(
    IReceiveEndpointDispatcher dispatcher,
    DeleteBatcher deleter,
    ErrorQueueSender errorQueue,
    IOptions<SqsOptions> options,
    ILogger<SqsMessageHandler> logger)
{
    private readonly SqsOptions _options = options.Value;

    public async Task HandleAsync(QueueUrls queues, Message message, CancellationToken cancellationToken)
    {
        var receiveCount = SqsAttributes.ReceiveCount(message);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.DispatchTimeout);
            await dispatcher.Dispatch(Encoding.UTF8.GetBytes(message.Body ?? string.Empty), Headers(message, receiveCount), timeout.Token)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (PoisonClassifier.Classify(ex) is { } reason)
        {
            await DeadLetterAsync(queues, message, receiveCount, reason, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            LogLeftForRedelivery(ex, message.MessageId, receiveCount);
            return;
        }

        await deleter.DeleteAsync(queues.Main, message.MessageId, message.ReceiptHandle).ConfigureAwait(false);
        LogConsumed(message.MessageId, receiveCount);
    }

    private async Task DeadLetterAsync(QueueUrls queues, Message message, int receiveCount, PoisonReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await errorQueue.SendAsync(queues.Error, _options.QueueName, message, reason, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Not in the error queue yet, so it must not be deleted: SQS redelivers it and we try again.
            LogDeadLetterFailed(ex, message.MessageId, receiveCount);
            return;
        }

        LogPoisoned(message.MessageId, receiveCount, reason.Code, reason.Message);
        await deleter.DeleteAsync(queues.Main, message.MessageId, message.ReceiptHandle).ConfigureAwait(false);
    }

    private static Dictionary<string, object> Headers(Message message, int receiveCount)
    {
        var headers = new Dictionary<string, object>(5)
        {
            [TransportHeaders.MessageId] = message.MessageId,
            [TransportHeaders.ReceiveCount] = receiveCount,
            ["Content-Type"] = "application/json",
        };
        if (SqsAttributes.SentTimestamp(message) is { } sent)
        {
            headers[TransportHeaders.SentTime] = sent.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // MassTransit's own MessageId must be a Guid; SQS ids are UUIDs on AWS but need not be elsewhere.
        if (Guid.TryParse(message.MessageId, out _))
        {
            headers["MessageId"] = message.MessageId;
        }

        return headers;
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Consumed {MessageId} (receive {ReceiveCount})")]
    private partial void LogConsumed(string messageId, int receiveCount);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Moved {MessageId} (receive {ReceiveCount}) to the error queue: {ReasonCode}: {Reason}")]
    private partial void LogPoisoned(string messageId, int receiveCount, string reasonCode, string reason);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Processing {MessageId} (receive {ReceiveCount}) failed after its retries; left for SQS to redeliver")]
    private partial void LogLeftForRedelivery(Exception exception, string messageId, int receiveCount);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "Could not send poison message {MessageId} (receive {ReceiveCount}) to the error queue; left for redelivery")]
    private partial void LogDeadLetterFailed(Exception exception, string messageId, int receiveCount);
}
