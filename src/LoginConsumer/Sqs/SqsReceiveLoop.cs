using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// N long-poll receivers share one in-flight bound; each received message is handled on its own task.
/// On stop the receivers stop at once (a long poll in progress is cancelled) and what was started is
/// finished before the host moves on to stop the batch writer.
/// </summary>
public sealed partial class SqsReceiveLoop(
    IAmazonSQS sqs,
    QueueTopology topology,
    SqsMessageHandler handler,
    DeleteBatcher deleter,
    VisibilityHeartbeat heartbeat,
    ReceiveGate gate,
    RunMode mode,
    LoginConsumerTelemetry telemetry,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    IOptions<SqsOptions> options,
    ILogger<SqsReceiveLoop> logger) : BackgroundService
{
    /// <summary>
    /// A receive in progress when stop is requested may already be bringing messages back; cancelling it
    /// would leave them hidden until their visibility timeout. It gets this long to return (a busy queue
    /// answers in milliseconds); only an idle long poll is cut off.
    /// </summary>
    private static readonly TimeSpan ReceiveStopDelay = TimeSpan.FromSeconds(1);

    private static readonly List<string> SystemAttributes = [SqsAttributes.SentTimestampName, SqsAttributes.ReceiveCountName];

    private readonly SqsOptions _options = options.Value;
    private readonly InFlightLimiter _inFlight = new(options.Value.MaxInFlight);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abortHandling = new();
    private readonly CancellationTokenSource _abortReceives = new();
    private int _handlingCount;
    private volatile bool _draining;
    private int _emptyReceivers;
    private TaskCompletionSource _resumeReceivers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastProgressTicks = time.GetUtcNow().UtcTicks;

    /// <summary>Messages received and not yet settled (slots that receivers hold for a poll in progress do not count).</summary>
    public int InFlight => Volatile.Read(ref _handlingCount);

    /// <summary>
    /// When the loop last showed it is alive: a receive returned, a message was settled, or a receiver is waiting
    /// out a database outage (a restart would not help that). /health/live compares it with Sqs:LoopStallAfter.
    /// </summary>
    public DateTimeOffset LastProgress => new(Volatile.Read(ref _lastProgressTicks), TimeSpan.Zero);

    /// <summary>What every receive asks for; the bench's SDK call benchmark sends the same.</summary>
    internal static ReceiveMessageRequest ReceiveRequest(string queueUrl, int maxMessages, int waitSeconds, int visibilityTimeoutSeconds) => new()
    {
        QueueUrl = queueUrl,
        MaxNumberOfMessages = maxMessages,
        WaitTimeSeconds = waitSeconds,
        VisibilityTimeout = visibilityTimeoutSeconds,
        MessageSystemAttributeNames = SystemAttributes,
        MessageAttributeNames = SqsAttributes.CarriedAttributes,
    };

    private void Progress() => Volatile.Write(ref _lastProgressTicks, time.GetUtcNow().UtcTicks);

    /// <summary>
    /// Receivers stop at once (a long poll in progress is cancelled). Started messages get
    /// <see cref="SqsOptions.ShutdownGrace"/> to finish; whatever is still running then is released
    /// (made visible at once) rather than left hidden until its visibility timeout.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _abortHandling.CancelAfter(_options.ShutdownGrace);
        _abortReceives.CancelAfter(ReceiveStopDelay);
        using var abort = cancellationToken.Register(_abortHandling.Cancel);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _abortHandling.Dispose();
        _abortReceives.Dispose();
        _inFlight.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        telemetry.InFlight = () => InFlight;
        try
        {
            await ReceiveUntilStoppedAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The host would stop either way; the exit code must say it failed.
            LogLoopFailed(ex);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private async Task ReceiveUntilStoppedAsync(CancellationToken stoppingToken)
    {
        QueueUrls queues;
        try
        {
            queues = await topology.ResolveAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogTopologyFailed(ex);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }

        LogStarted(_options.QueueName, _options.Receivers, _options.MaxInFlight, mode.UntilEmpty);
        using var heartbeatStop = new CancellationTokenSource();
        var beating = heartbeat.RunAsync(heartbeatStop.Token);
        var receivers = Enumerable.Range(0, _options.Receivers).Select(_ => ReceiveAsync(queues, stoppingToken)).ToList();
        if (mode.UntilEmpty)
        {
            receivers.Add(StopWhenEmptyAsync(queues, stoppingToken));
        }

        await Task.WhenAll(receivers).ConfigureAwait(false);

        // No receiver runs any more, so the count can only fall: wait for it to reach zero.
        _draining = true;
        if (Volatile.Read(ref _handlingCount) == 0)
        {
            _drained.TrySetResult();
        }

        await _drained.Task.ConfigureAwait(false);
        await heartbeatStop.CancelAsync().ConfigureAwait(false);
        await beating.ConfigureAwait(false);
        await deleter.DisposeAsync().ConfigureAwait(false);
        LogStopped(_options.QueueName);
    }

    private async Task ReceiveAsync(QueueUrls queues, CancellationToken stoppingToken)
    {
        var waitSeconds = mode.UntilEmpty ? Math.Min(_options.UntilEmptyWaitTimeSeconds, _options.WaitTimeSeconds) : _options.WaitTimeSeconds;
        var wasEmpty = false;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            int slots;
            try
            {
                await WaitForGateAsync(stoppingToken).ConfigureAwait(false);
                slots = await _inFlight.AcquireAsync(_options.MaxMessagesPerReceive, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            List<Message> messages;
            var receiveStarted = time.GetUtcNow();
            try
            {
                var response = await sqs.ReceiveMessageAsync(
                    ReceiveRequest(queues.Main, slots, waitSeconds, _options.VisibilityTimeoutSeconds),
                    _abortReceives.Token).ConfigureAwait(false);
                messages = response.Messages ?? [];
                failures = 0;
            }
            catch (OperationCanceledException) when (_abortReceives.IsCancellationRequested)
            {
                _inFlight.Release(slots);
                return;
            }
            catch (Exception ex)
            {
                // Any failure (service error, network, an HTTP timeout) backs off and retries: a receiver that
                // died would stop the host as if it had finished.
                _inFlight.Release(slots);
                failures++;
                var backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, 200 * Math.Pow(2, Math.Min(failures, 8))));
                LogReceiveFailed(ex, backoff);
                try
                {
                    await Task.Delay(backoff, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            _inFlight.Release(slots - messages.Count);
            Progress();
            LogReceived(messages.Count, slots);
            if (messages.Count > 0)
            {
                telemetry.Received(messages.Count);
            }

            var isEmpty = messages.Count == 0;
            if (isEmpty != wasEmpty)
            {
                Interlocked.Add(ref _emptyReceivers, isEmpty ? 1 : -1);
                wasEmpty = isEmpty;
            }

            if (stoppingToken.IsCancellationRequested)
            {
                // Received while stopping: not started, so handed back at once rather than worked on.
                await handler.ReleaseUnstartedAsync(queues.Main, messages).ConfigureAwait(false);
                _inFlight.Release(messages.Count);
                return;
            }

            if (isEmpty && mode.UntilEmpty)
            {
                // Draining: a receiver that found nothing waits for the empty check instead of long-polling again, so
                // that once the queue is empty the host stops with no receive in progress (no wait for one to return).
                try
                {
                    await Volatile.Read(ref _resumeReceivers).Task.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            // One span per non-empty receive; each message's span (started by the handler) is its child.
            using var batchSpan = messages.Count == 0 || !telemetry.ActivitySource.HasListeners() ? null : telemetry.ActivitySource.StartActivity(
                ActivityKind.Consumer,
                tags: [new("messaging.system", "aws_sqs"), new("messaging.operation.type", "receive"), new("messaging.destination.name", _options.QueueName), new("messaging.batch.message_count", messages.Count)],
                startTime: receiveStarted,
                name: "receive " + _options.QueueName);
            foreach (var message in messages)
            {
                Start(queues, message);
            }
        }
    }

    private async Task WaitForGateAsync(CancellationToken stoppingToken)
    {
        var open = gate.WaitUntilOpenAsync(stoppingToken);
        while (!open.IsCompleted)
        {
            await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken)).ConfigureAwait(false);
            Progress();
        }

        await open.ConfigureAwait(false);
    }

    private void Start(QueueUrls queues, Message message)
    {
        Interlocked.Increment(ref _handlingCount);
        _ = HandleAsync(queues, message);
    }

    private async Task HandleAsync(QueueUrls queues, Message message)
    {
        try
        {
            await Task.Yield();
            await handler.HandleAsync(queues, message, _abortHandling.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogHandlerCrashed(ex, message.MessageId);
        }
        finally
        {
            Progress();
            _inFlight.Release(1);
            if (Interlocked.Decrement(ref _handlingCount) == 0 && _draining)
            {
                _drained.TrySetResult();
            }
        }
    }

    /// <summary>Drain mode: stop once every receiver came back empty, nothing is in flight, and SQS counts no message at all (invisible ones will come back).</summary>
    private async Task StopWhenEmptyAsync(QueueUrls queues, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (Volatile.Read(ref _emptyReceivers) < _options.Receivers || InFlight > 0)
                {
                    continue;
                }

                var contents = await QueueContentsAsync(queues, stoppingToken).ConfigureAwait(false);
                if (contents == QueueContents.Empty && InFlight == 0)
                {
                    LogQueueEmpty(_options.QueueName);
                    lifetime.StopApplication();
                    return;
                }

                if (contents == QueueContents.OnlyHidden)
                {
                    // Messages in flight elsewhere, delayed, or backing off: none can be received yet, so look again in a
                    // second rather than have the receivers short-poll ten times a second until they come back.
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
                }

                // Not empty after all: receive again.
                Interlocked.Exchange(ref _resumeReceivers, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private enum QueueContents
    {
        Empty,
        Visible,
        OnlyHidden,
    }

    private async Task<QueueContents> QueueContentsAsync(QueueUrls queues, CancellationToken cancellationToken)
    {
        try
        {
            var attributes = await sqs.GetQueueAttributesAsync(
                new GetQueueAttributesRequest
                {
                    QueueUrl = queues.Main,
                    AttributeNames =
                    [
                        QueueAttributeName.ApproximateNumberOfMessages,
                        QueueAttributeName.ApproximateNumberOfMessagesNotVisible,
                        QueueAttributeName.ApproximateNumberOfMessagesDelayed,
                    ],
                },
                cancellationToken).ConfigureAwait(false);
            // Only counts of zero mean empty: an answer without them is treated as "not yet".
            return (attributes.ApproximateNumberOfMessages, attributes.ApproximateNumberOfMessagesNotVisible, attributes.ApproximateNumberOfMessagesDelayed) switch
            {
                (0, 0, 0) => QueueContents.Empty,
                ( > 0, _, _) => QueueContents.Visible,
                _ => QueueContents.OnlyHidden,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Unknown, so not empty; looked at again after the same second's pause.
            LogReceiveFailed(ex, TimeSpan.FromSeconds(1));
            return QueueContents.OnlyHidden;
        }
    }

    [LoggerMessage(EventId = 1307, Level = LogLevel.Trace, Message = "Received {Count} messages (asked for {Asked})")]
    private partial void LogReceived(int count, int asked);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Receiving from {QueueName} with {Receivers} receivers, at most {MaxInFlight} messages in flight (until empty: {UntilEmpty})")]
    private partial void LogStarted(string queueName, int receivers, int maxInFlight, bool untilEmpty);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Stopped receiving from {QueueName}; every started message is settled")]
    private partial void LogStopped(string queueName);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "ReceiveMessage failed; retrying in {Backoff}")]
    private partial void LogReceiveFailed(Exception exception, TimeSpan backoff);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "{QueueName} is empty and nothing is in flight; stopping")]
    private partial void LogQueueEmpty(string queueName);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Error, Message = "Handling {MessageId} failed unexpectedly; it will be redelivered")]
    private partial void LogHandlerCrashed(Exception exception, string messageId);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Critical, Message = "The receive loop failed; stopping with exit code 1")]
    private partial void LogLoopFailed(Exception exception);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Critical, Message = "Could not find or create the SQS queues; stopping")]
    private partial void LogTopologyFailed(Exception exception);
}
