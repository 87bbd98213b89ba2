using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Messaging;
using LoginConsumer.Telemetry;
using MassTransit.Transports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// Hands one received message to MassTransit's dispatcher and settles it by the outcome:
/// consumed → delete; poison → error queue, then delete; retries spent → visible again after a backoff
/// (SQS redelivers it, and after MaxReceiveCount receives its RedrivePolicy moves it to the error queue);
/// cut short by shutdown → visible again at once, for another consumer. While it is worked on, the
/// visibility heartbeat keeps it hidden; it is untracked before it is settled.
/// </summary>
public sealed partial class SqsMessageHandler(
    IReceiveEndpointDispatcher dispatcher,
    IAmazonSQS sqs,
    DeleteBatcher deleter,
    ErrorQueueSender errorQueue,
    VisibilityHeartbeat heartbeat,
    LoginConsumerTelemetry telemetry,
    TimeProvider time,
    IOptions<SqsOptions> options,
    IOptions<ConsumerOptions> consumerOptions,
    ILogger<SqsMessageHandler> logger)
{
    private readonly SqsOptions _options = options.Value;
    private readonly ConsumerOptions _limits = consumerOptions.Value;

    public async Task HandleAsync(QueueUrls queues, Message message, CancellationToken cancellationToken)
    {
        var receiveCount = SqsAttributes.ReceiveCount(message);
        var inFlight = heartbeat.Track(queues.Main, message);

        // Every log line and span about this message carries its SQS message id, and nothing from its body. Our own
        // lines name it in the message; at Debug a scope also tags what MassTransit, EF Core and Npgsql log meanwhile
        // (a scope costs an AsyncLocal write per message, about 5% of a drain's CPU, so not at Information).
        using var scope = logger.IsEnabled(LogLevel.Debug) ? logger.BeginScope(new MessageScope(message.MessageId)) : null;
        using var span = !telemetry.ActivitySource.HasListeners() ? null : telemetry.ActivitySource.StartActivity(
            ActivityKind.Consumer,
            tags: [new("messaging.system", "aws_sqs"), new("messaging.operation.type", "process"), new("messaging.destination.name", _options.QueueName), new("messaging.message.id", message.MessageId), new("messaging.aws_sqs.receive_count", receiveCount)],
            name: "process " + _options.QueueName);
        if (receiveCount > 1)
        {
            telemetry.Redelivered();
        }

        try
        {
            // Size, shape and depth are checked before anything deserializes the body (MassTransit's
            // envelope parse included); what fails is poison and never reaches the dispatcher.
            var body = SqsBody.Decode(message.Body);
            JsonBodyInspector.Check(body, _limits.MaxBodyBytes, _limits.MaxJsonDepth);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.DispatchTimeout);
            await dispatcher.Dispatch(body, Headers(message, receiveCount), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (PoisonClassifier.Classify(ex) is { } reason)
        {
            span?.SetTag("loginconsumer.outcome", "poison").SetTag("loginconsumer.poison_reason", reason.Code);
            heartbeat.Untrack(inFlight);
            await DeadLetterAsync(queues, message, receiveCount, reason, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name).SetTag("loginconsumer.outcome", "released");
            await heartbeat.UntrackBeforeReleaseAsync(inFlight).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                LogReleased(message.MessageId, receiveCount);
                await SetVisibilityAsync(queues.Main, message, TimeSpan.Zero).ConfigureAwait(false);
            }
            else
            {
                var backoff = RedeliveryBackoff(receiveCount);
                LogLeftForRedelivery(ex, message.MessageId, receiveCount, backoff);
                await SetVisibilityAsync(queues.Main, message, backoff).ConfigureAwait(false);
            }

            return;
        }

        // The row is committed once Dispatch returns: that is the end of the end-to-end lag.
        var sent = SqsAttributes.SentTimestamp(message);
        telemetry.Consumed(sent is { } ms ? time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(ms) : null);
        span?.SetTag("loginconsumer.outcome", "stored");
        heartbeat.Untrack(inFlight);
        await deleter.DeleteAsync(queues.Main, message.MessageId, message.ReceiptHandle).ConfigureAwait(false);
        LogConsumed(message.MessageId, receiveCount);
    }

    private TimeSpan RedeliveryBackoff(int receiveCount) =>
        TimeSpan.FromTicks((long)Math.Min(
            _options.RedeliveryBackoffMax.Ticks,
            _options.RedeliveryBackoffBase.Ticks * Math.Pow(4, Math.Clamp(receiveCount - 1, 0, 20))));

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

        telemetry.Poisoned(reason.Code);
        LogPoisoned(message.MessageId, receiveCount, reason.Code, reason.Message);
        await deleter.DeleteAsync(queues.Main, message.MessageId, message.ReceiptHandle).ConfigureAwait(false);
    }

    /// <summary>For messages received but not started (the receive returned while stopping): visible again at once.</summary>
    public async Task ReleaseUnstartedAsync(string queueUrl, IReadOnlyList<Message> messages)
    {
        foreach (var chunk in messages.Chunk(10))
        {
            try
            {
                await sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = [.. chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle) { VisibilityTimeout = 0 })],
                }).ConfigureAwait(false);
                LogReleasedUnstarted(chunk.Length);
            }
            catch (Exception ex) when (ex is AmazonSQSException or HttpRequestException)
            {
                LogVisibilityChangeFailed(ex, chunk[0].MessageId);
            }
        }
    }

    private async Task SetVisibilityAsync(string queueUrl, Message message, TimeSpan visibleIn)
    {
        try
        {
            await sqs.ChangeMessageVisibilityAsync(queueUrl, message.ReceiptHandle, (int)visibleIn.TotalSeconds).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonSQSException or HttpRequestException)
        {
            // It comes back when its current visibility timeout ends instead.
            LogVisibilityChangeFailed(ex, message.MessageId);
        }
    }

    internal static Dictionary<string, object> Headers(Message message, int receiveCount)
    {
        var rowKey = SqsAttributes.RowKey(message);
        var headers = new Dictionary<string, object>(5)
        {
            [TransportHeaders.MessageId] = rowKey,
            [TransportHeaders.ReceiveCount] = receiveCount,
            ["Content-Type"] = "application/json",
        };
        if (SqsAttributes.OriginalSentTimestamp(message) is { } sent)
        {
            headers[TransportHeaders.SentTime] = sent.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // MassTransit's own MessageId must be a Guid; SQS ids are UUIDs on AWS but need not be elsewhere.
        if (Guid.TryParse(rowKey, out _))
        {
            headers["MessageId"] = rowKey;
        }

        return headers;
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Consumed {MessageId} (receive {ReceiveCount})")]
    private partial void LogConsumed(string messageId, int receiveCount);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Moved {MessageId} (receive {ReceiveCount}) to the error queue: {ReasonCode}: {Reason}")]
    private partial void LogPoisoned(string messageId, int receiveCount, string reasonCode, string reason);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Processing {MessageId} (receive {ReceiveCount}) failed after its retries; left for SQS to redeliver in {Backoff}")]
    private partial void LogLeftForRedelivery(Exception exception, string messageId, int receiveCount, TimeSpan backoff);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "Could not send poison message {MessageId} (receive {ReceiveCount}) to the error queue; left for redelivery")]
    private partial void LogDeadLetterFailed(Exception exception, string messageId, int receiveCount);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Information, Message = "Released {MessageId} (receive {ReceiveCount}) unfinished on shutdown; it is visible again at once")]
    private partial void LogReleased(string messageId, int receiveCount);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Information, Message = "Released {Count} messages received while stopping, unstarted; they are visible again at once")]
    private partial void LogReleasedUnstarted(int count);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Could not change the visibility of {MessageId}; it returns when its visibility timeout ends")]
    private partial void LogVisibilityChangeFailed(Exception exception, string messageId);

    /// <summary>The logging scope of one message: rendered as SqsMessageId=… in text logs and a field in JSON logs.</summary>
    private sealed class MessageScope(string messageId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] => index == 0 ? new("SqsMessageId", messageId) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => "SqsMessageId=" + messageId;
    }
}
