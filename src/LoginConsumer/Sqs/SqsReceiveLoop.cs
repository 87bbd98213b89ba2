using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Sqs;

/// <summary>
/// The receiver: N long-poll receivers share one in-flight bound, by count and by bytes; each received message gets a
/// lease at once and is handled on its own task. Every receiver is supervised: a failed receive is logged and tried
/// again after a jittered backoff, and a receiver that throws is started again. On stop the receivers stop at once (a
/// long poll in progress is cancelled) and what was started is settled before the host moves on to stop the batch writer.
/// </summary>
public sealed partial class SqsReceiveLoop(
    IAmazonSQS sqs,
    SqsCallPolicy policy,
    QueueTopology topology,
    SqsMessageHandler handler,
    MessageLeases leases,
    DeleteBatcher deleter,
    VisibilityHeartbeat heartbeat,
    ReceiveGate gate,
    SettleHealth settleHealth,
    RunMode mode,
    DrainDetector drain,
    LoopSupervisor supervisor,
    LoginConsumerTelemetry telemetry,
    TimeProvider time,
    FatalStop fatal,
    IOptions<SqsOptions> options,
    IOptions<StartupOptions> startup,
    ILogger<SqsReceiveLoop> logger) : BackgroundService
{
    public const string LoopName = "receiver";

    /// <summary>SQS's largest message: what a receive must have room for before it asks.</summary>
    public const int MaxSqsMessageBytes = 1024 * 1024;

    /// <summary>
    /// A receive in progress when stop is requested may already be bringing messages back; cancelling it
    /// would leave them hidden until their visibility timeout. It gets this long to return (a busy queue
    /// answers in milliseconds); only an idle long poll is cut off.
    /// </summary>
    private static readonly TimeSpan ReceiveStopDelay = TimeSpan.FromSeconds(1);

    private static readonly List<string> SystemAttributes = [SqsAttributes.SentTimestampName, SqsAttributes.ReceiveCountName, ProducerTrace.AwsTraceHeaderName];
    private static readonly List<string> MessageAttributes = [.. TransportAttributes.Carried, ProducerTrace.TraceParentName, ProducerTrace.TraceStateName];

    private readonly SqsOptions _options = options.Value;
    private readonly InFlightLimiter _inFlight = new(options.Value.MaxInFlight);
    private readonly ByteBudget _bytes = new(options.Value.MaxInFlightBytes);
    private readonly DrainCount _drain = new();
    private readonly CancellationTokenSource _abortHandling = new();
    private readonly CancellationTokenSource _abortReceives = new();

    private long _lastProgressTicks = time.GetUtcNow().UtcTicks;

    /// <summary>Messages received and not yet settled (slots that receivers hold for a poll in progress do not count).</summary>
    public int InFlight => _drain.Handling;

    /// <summary>Body characters of the messages held, and room reserved by receives in progress (an ASCII body's size as SQS counts it).</summary>
    public long InFlightBytes => _bytes.Used;

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
        MessageAttributeNames = MessageAttributes,
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
        leases.StopRetrying();
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
        telemetry.SettleStalled = () => settleHealth.Stalled is not null;
        if (await ResolveQueuesAsync(stoppingToken).ConfigureAwait(false) is not { } queues)
        {
            return;
        }

        LogStarted(_options.QueueName, _options.Receivers, _options.MaxInFlight, mode.UntilEmpty);
        using var heartbeatStop = new CancellationTokenSource();
        var beating = heartbeat.RunAsync(heartbeatStop.Token);
        var receivers = Enumerable.Range(0, _options.Receivers)
            .Select(_ => supervisor.RunAsync(LoopName, token => ReceiveAsync(queues, token), stoppingToken))
            .ToList();
        if (mode.UntilEmpty)
        {
            receivers.Add(supervisor.RunAsync("drain detector", token => drain.RunAsync(queues.Main, () => InFlight, token), stoppingToken));
        }

        await Task.WhenAll(receivers).ConfigureAwait(false);

        // No receiver runs any more, so the count can only fall: wait for it to reach zero.
        _drain.ReceiversEnded();
        await _drain.Drained.ConfigureAwait(false);
        await deleter.DisposeAsync().ConfigureAwait(false);
        await heartbeatStop.CancelAsync().ConfigureAwait(false);
        await beating.ConfigureAwait(false);
        LogStopped(_options.QueueName);
    }

    private async Task ReceiveAsync(QueueUrls queues, CancellationToken stoppingToken)
    {
        var waitSeconds = mode.UntilEmpty ? Math.Min(_options.UntilEmptyWaitTimeSeconds, _options.WaitTimeSeconds) : _options.WaitTimeSeconds;
        var perReceive = (int)Math.Clamp(_options.MaxInFlightBytes / MaxSqsMessageBytes, 1, _options.MaxMessagesPerReceive);
        var receiveCall = new SqsCall(1, TimeSpan.FromSeconds(waitSeconds) + policy.CallTimeout, TimeSpan.MaxValue);
        var wasEmpty = false;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            int slots;
            long reserved;
            try
            {
                await WaitForGateAsync(stoppingToken).ConfigureAwait(false);
                slots = await _inFlight.AcquireAsync(perReceive, stoppingToken).ConfigureAwait(false);
                reserved = (long)slots * MaxSqsMessageBytes;
                try
                {
                    await _bytes.ReserveAsync(reserved, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _inFlight.Release(slots);
                    throw;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            List<Message> messages;
            var receiveStarted = time.GetUtcNow();
            try
            {
                var response = await policy.RunAsync(
                    "ReceiveMessage",
                    token => sqs.ReceiveMessageAsync(ReceiveRequest(queues.Main, slots, waitSeconds, _options.VisibilityTimeoutSeconds), token),
                    receiveCall,
                    _abortReceives.Token).ConfigureAwait(false);
                messages = response.Messages ?? [];
                failures = 0;
                supervisor.RoundSucceeded(LoopName);
            }
            catch (OperationCanceledException) when (_abortReceives.IsCancellationRequested)
            {
                _bytes.Release(reserved);
                _inFlight.Release(slots);
                return;
            }
            catch (Exception ex)
            {
                // Any failure (service error, network, a timeout) backs off and tries again.
                _bytes.Release(reserved);
                _inFlight.Release(slots);
                failures++;
                supervisor.RoundFailed(LoopName);
                var backoff = SqsCallPolicy.Backoff(failures);
                LogReceiveFailed(ex, SqsCallPolicy.Describe(ex), backoff);
                try
                {
                    await Task.Delay(backoff, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            // Tracking starts now: from here on each message is extended until it is settled. A message this process
            // still holds (received again after an outage) is adopted by its lease and takes no slot of its own.
            var received = new List<(MessageLease Lease, long Bytes)>(messages.Count);
            try
            {
                foreach (var message in messages)
                {
                    if (leases.Start(queues, message) is { } lease)
                    {
                        received.Add((lease, message.Body?.Length ?? 0));
                    }
                }
            }
            catch (Exception ex)
            {
                // A lease that no handler will ever settle would stay hidden by the heartbeat: hand every one back.
                LogLeaseStartFailed(ex, messages.Count);
                await leases.ReleaseUnstartedAsync([.. received.Select(r => r.Lease)]).ConfigureAwait(false);
                _bytes.Release(reserved);
                _inFlight.Release(slots);
                continue;
            }

            _bytes.Take(received.Sum(r => r.Bytes));
            _bytes.Release(reserved);
            _inFlight.Release(slots - received.Count);
            Progress();
            LogReceived(messages.Count, slots);
            if (messages.Count > 0)
            {
                telemetry.Received(messages.Count);
            }

            var isEmpty = messages.Count == 0;
            drain.ReceiverEmpty(wasEmpty, isEmpty);
            wasEmpty = isEmpty;

            if (stoppingToken.IsCancellationRequested)
            {
                // Received while stopping: not started, so handed back at once rather than worked on.
                await leases.ReleaseUnstartedAsync([.. received.Select(r => r.Lease)]).ConfigureAwait(false);
                _bytes.Release(received.Sum(r => r.Bytes));
                _inFlight.Release(received.Count);
                return;
            }

            if (isEmpty && mode.UntilEmpty)
            {
                try
                {
                    await drain.WaitForResumeAsync(stoppingToken).ConfigureAwait(false);
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
            foreach (var (lease, bytes) in received)
            {
                _drain.HandlerStarted();
                _ = HandleAsync(lease, bytes);
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

    private async Task HandleAsync(MessageLease lease, long bytes)
    {
        try
        {
            await Task.Yield();
            await handler.HandleAsync(lease, leases, _abortHandling.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogHandlerCrashed(ex, lease.MessageId);
            if (!lease.IsSettled)
            {
                await lease.ReleaseAsync(leases.RedeliveryBackoff(lease.ReceiveCount)).ConfigureAwait(false);
            }
        }
        finally
        {
            Progress();
            _bytes.Release(bytes);
            _inFlight.Release(1);
            _drain.HandlerEnded();
        }
    }

    [LoggerMessage(EventId = 1307, Level = LogLevel.Trace, Message = "Received {Count} messages (asked for {Asked})")]
    private partial void LogReceived(int count, int asked);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Receiving from {QueueName} with {Receivers} receivers, at most {MaxInFlight} messages in flight (until empty: {UntilEmpty})")]
    private partial void LogStarted(string queueName, int receivers, int maxInFlight, bool untilEmpty);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Stopped receiving from {QueueName}; every started message is settled")]
    private partial void LogStopped(string queueName);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "ReceiveMessage failed ({Failure}); trying again in {Backoff}")]
    private partial void LogReceiveFailed(Exception exception, string failure, TimeSpan backoff);

    [LoggerMessage(EventId = 1310, Level = LogLevel.Error, Message = "Starting leases for {Count} received messages failed; those started are released at once")]
    private partial void LogLeaseStartFailed(Exception exception, int count);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Error, Message = "Handling {MessageId} failed unexpectedly; it is released for redelivery")]
    private partial void LogHandlerCrashed(Exception exception, string messageId);

    /// <summary>
    /// Finds (or creates) the queues, trying again with jittered backoff until <see cref="StartupOptions.Timeout"/> has
    /// passed since start. Gives up at once when SQS answers that the request can never succeed (no such queue, access
    /// denied): exit code 3; when it never answered in time: exit code 4. Null when it gave up or the service stops.
    /// </summary>
    private async Task<QueueUrls?> ResolveQueuesAsync(CancellationToken stoppingToken)
    {
        var timeout = startup.Value.Timeout;
        var start = time.GetTimestamp();
        for (var round = 1; ; round++)
        {
            Exception failure;
            try
            {
                return await policy.RunAsync("resolve the queues", topology.ResolveAsync, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            // A queue that does not exist will not appear by waiting: exit 3 at once, as a refusal does.
            var transient = failure is not QueueMissingException && SqsCallPolicy.IsTransient(failure);
            var left = timeout - time.GetElapsedTime(start);
            if (!transient || left <= TimeSpan.Zero)
            {
                var described = SqsCallPolicy.Describe(failure);
                LogTopologyFailed(round, timeout, described);

                fatal.Stop(
                    transient ? new DependencyUnavailableException($"SQS did not answer within Startup:Timeout {timeout}.", failure) : failure,
                    transient ? ExitCodes.Unreachable : ExitCodes.Configuration);
                return null;
            }

            var pause = SqsCallPolicy.Backoff(round + 2);
            pause = pause < left ? pause : left;
            LogTopologyWaiting(round, failure.GetType().Name, pause);
            try
            {
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    [LoggerMessage(EventId = 1306, Level = LogLevel.Critical, Message = "Could not find or create the SQS queues ({Rounds} rounds of retries within Startup:Timeout {Timeout}, {Failure}); stopping")]
    private partial void LogTopologyFailed(int rounds, TimeSpan timeout, string failure);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Warning, Message = "SQS does not answer yet (round {Round}, {Error}); trying again in {Pause}")]
    private partial void LogTopologyWaiting(int round, string error, TimeSpan pause);
}
