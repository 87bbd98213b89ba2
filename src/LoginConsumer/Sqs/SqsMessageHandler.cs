using System.Diagnostics;
using LoginConsumer.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// Hands one leased message to the processor and settles the lease by the outcome: complete → delete; dead-letter →
/// error queue with the reason, then delete; release → visible again after the redelivery backoff (after
/// MaxReceiveCount receives SQS's RedrivePolicy moves it to the error queue); cut short by shutdown → visible again at
/// once, for another consumer. Processing longer than <see cref="SqsOptions.DispatchTimeout"/> is abandoned and released.
/// </summary>
public sealed partial class SqsMessageHandler(
    IMessageProcessor processor,
    MessageIdentity identity,
    LoginConsumerTelemetry telemetry,
    TimeProvider time,
    IOptions<SqsOptions> options,
    ILogger<SqsMessageHandler> logger)
{
    private readonly SqsOptions _options = options.Value;

    public async Task HandleAsync(MessageLease lease, MessageLeases leases, CancellationToken shutdownToken)
    {
        var message = lease.Message;
        var receiveCount = lease.ReceiveCount;
        var started = time.GetTimestamp();

        // Every log line and span about this message carries its SQS message id, and nothing from its body. Our own
        // lines name it in the message; at Debug a scope also tags what MassTransit, EF Core and Npgsql log meanwhile
        // (a scope costs an AsyncLocal write per message, so not at Information).
        using var scope = logger.IsEnabled(LogLevel.Debug) ? logger.BeginScope(new MessageScope(message.MessageId)) : null;
        using var span = !telemetry.ActivitySource.HasListeners() ? null : telemetry.ActivitySource.StartActivity(
            ActivityKind.Consumer,
            tags: [new("messaging.system", "aws_sqs"), new("messaging.operation.type", "process"), new("messaging.destination.name", _options.QueueName), new("messaging.message.id", message.MessageId), new("messaging.aws_sqs.receive_count", receiveCount)],
            links: ProducerTrace.LinksOf(message),
            name: "process " + _options.QueueName);
        if (receiveCount > 1)
        {
            telemetry.Redelivered();
        }

        // The row's key and date (MessageIdentity): signed redrive attributes, else an authentic SNS notification's id,
        // else SQS's own id and time.
        var body = SqsBody.Unwrap(message.Body, out var envelope);
        MessageIdentity.Identity id;
        try
        {
            id = await identity.ResolveAsync(message, envelope, shutdownToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Keyed on the SQS id it might be stored twice; keyed on the SNS id a forgery could silence a login: wait. The
            // failure is logged by its type alone: its text can quote the producer-written certificate URL.
            var backoff = leases.RedeliveryBackoff(receiveCount);
            LogIdentityUnknown(message.MessageId, receiveCount, SqsCallPolicy.Describe(ex), backoff);
            telemetry.Processed(time.GetElapsedTime(started), "released");
            await lease.ReleaseAsync(shutdownToken.IsCancellationRequested ? TimeSpan.Zero : backoff).ConfigureAwait(false);
            return;
        }

        if (id.Verdict is TransportAttributes.Verdict.Untrusted or TransportAttributes.Verdict.UnknownKey)
        {
            telemetry.UntrustedAttributes();
            LogUntrustedAttributes(message.MessageId);
        }

        var (rowKey, sent) = (id.RowKey, id.SentTimestampMs);
        var incoming = new IncomingMessage(message.MessageId, rowKey, sent, receiveCount, body);
        MessageOutcome outcome;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(shutdownToken))
        {
            timeout.CancelAfter(_options.DispatchTimeout);
            try
            {
                outcome = await processor.ProcessAsync(incoming, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The processor returns outcomes; this is a timeout, a stop, or a processor that broke its promise.
                LogProcessingAbandoned(ex, message.MessageId, receiveCount, ex.GetType().Name);
                outcome = MessageOutcome.Release;
            }
        }

        telemetry.Processed(time.GetElapsedTime(started), outcome.DeadLetter?.Code ?? (outcome.IsRelease ? "released" : null));
        if (outcome.DeadLetter is { } reason)
        {
            span?.SetTag("loginconsumer.outcome", "poison").SetTag("loginconsumer.poison_reason", reason.Code);
            if (await lease.DeadLetterAsync(reason, rowKey, sent).ConfigureAwait(false))
            {
                telemetry.Poisoned(reason.Code);
            }
        }
        else if (outcome.IsRelease)
        {
            span?.SetStatus(ActivityStatusCode.Error).SetTag("loginconsumer.outcome", "released");
            if (shutdownToken.IsCancellationRequested)
            {
                LogReleased(message.MessageId, receiveCount);
                await lease.ReleaseAsync(TimeSpan.Zero).ConfigureAwait(false);
            }
            else
            {
                var backoff = leases.RedeliveryBackoff(receiveCount);
                LogLeftForRedelivery(message.MessageId, receiveCount, backoff);
                await lease.ReleaseAsync(backoff).ConfigureAwait(false);
            }
        }
        else
        {
            // The row is committed: that is the end of the end-to-end lag.
            telemetry.Consumed(time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(sent));
            span?.SetTag("loginconsumer.outcome", "stored");
            await lease.CompleteAsync().ConfigureAwait(false);
            LogConsumed(message.MessageId, receiveCount);
        }
    }

    [LoggerMessage(EventId = 1212, Level = LogLevel.Warning, Message = "Could not tell whether SNS signed {MessageId} (receive {ReceiveCount}; {Failure}); released to come back in {Backoff}")]
    private partial void LogIdentityUnknown(string messageId, int receiveCount, string failure, TimeSpan backoff);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "{MessageId} carries redrive attributes that are unsigned, wrongly signed or out of range; its own SQS id and send time are used")]
    private partial void LogUntrustedAttributes(string messageId);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Consumed {MessageId} (receive {ReceiveCount})")]
    private partial void LogConsumed(string messageId, int receiveCount);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Processing {MessageId} (receive {ReceiveCount}) failed after its retries; left for SQS to redeliver in {Backoff}")]
    private partial void LogLeftForRedelivery(string messageId, int receiveCount, TimeSpan backoff);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Information, Message = "Released {MessageId} (receive {ReceiveCount}) unfinished on shutdown; it is visible again at once")]
    private partial void LogReleased(string messageId, int receiveCount);

    [LoggerMessage(EventId = 1208, Level = LogLevel.Warning, Message = "Processing {MessageId} (receive {ReceiveCount}) was abandoned ({Failure})")]
    private partial void LogProcessingAbandoned(Exception exception, string messageId, int receiveCount, string failure);

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
