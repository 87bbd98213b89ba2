using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LoginConsumer.Telemetry;

/// <summary>
/// The service's own metrics and spans. Tags carry SQS message ids, queue names, counts and reason codes:
/// never a field of the message body.
/// </summary>
public sealed class LoginConsumerTelemetry : IDisposable
{
    public const string Name = "LoginConsumer";

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _consumed;
    private readonly Counter<long> _poisoned;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _redelivered;
    private readonly Counter<long> _inserted;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _untrustedAttributes;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _semconvConsumed;
    private readonly Histogram<double> _semconvProcessDuration;
    private readonly KeyValuePair<string, object?>[] _receiveTags;
    private readonly KeyValuePair<string, object?>[] _processTags;
    private long _errorQueueDepth = -1;
    private long _queueDepth = -1;
    private int _ready = -1;
    private double _errorQueueOldestAge = -1;

    /// <param name="meterFactory">Where the meter comes from.</param>
    /// <param name="queue">The queue consumed (Sqs:QueueName), for the messaging conventions' destination name.</param>
    public LoginConsumerTelemetry(IMeterFactory meterFactory, string queue)
    {
        _meter = meterFactory.Create(Name);

        // OpenTelemetry's messaging semantic conventions, beside the service's own names, so that dashboards built for
        // any messaging consumer read this one too.
        _receiveTags = [new("messaging.system", "aws_sqs"), new("messaging.operation.name", "receive"), new("messaging.destination.name", queue)];
        _processTags = [new("messaging.system", "aws_sqs"), new("messaging.operation.name", "process"), new("messaging.destination.name", queue)];
        _semconvConsumed = _meter.CreateCounter<long>(
            "messaging.client.consumed.messages", "{message}", "Number of messages that were delivered to the application.");
        _semconvProcessDuration = _meter.CreateHistogram<double>(
            "messaging.process.duration", "s", "Duration of processing operation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });
        _received = _meter.CreateCounter<long>("loginconsumer.messages.received", "{message}", "Messages received from the queue.");
        _consumed = _meter.CreateCounter<long>("loginconsumer.messages.consumed", "{message}", "Messages whose row is committed (new or already there).");
        _poisoned = _meter.CreateCounter<long>("loginconsumer.messages.poisoned", "{message}", "Messages sent to the error queue, by reason code.");
        _retried = _meter.CreateCounter<long>("loginconsumer.messages.retried", "{attempt}", "Consume attempts that were retries (MassTransit's in-process retry).");
        _redelivered = _meter.CreateCounter<long>("loginconsumer.messages.redelivered", "{message}", "Messages received more than once (ApproximateReceiveCount > 1).");
        _inserted = _meter.CreateCounter<long>("loginconsumer.rows.inserted", "{row}", "Rows inserted into user_logins.");
        _duplicates = _meter.CreateCounter<long>("loginconsumer.rows.duplicates", "{row}", "Rows skipped because their message id was already stored.");
        _untrustedAttributes = _meter.CreateCounter<long>(
            "loginconsumer.attributes.untrusted", "{message}", "Messages whose redrive attributes were unsigned, wrongly signed or out of range, and were ignored.");
        _batchSize = _meter.CreateHistogram<int>(
            "loginconsumer.batch.size", "{row}", "Rows per INSERT batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] });
        _lag = _meter.CreateHistogram<double>(
            "loginconsumer.lag", "s", "End-to-end lag: row committed minus the message's SentTimestamp.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] });
        ActivitySource = new ActivitySource(Name);

        // Every counter exists from the start at zero, so rate() and alerts see a series before the first event.
        foreach (var counter in new[] { _received, _consumed, _poisoned, _retried, _redelivered, _inserted, _duplicates, _untrustedAttributes })
        {
            counter.Add(0);
        }

        _semconvConsumed.Add(0, _receiveTags);

        _meter.CreateObservableGauge(
            "loginconsumer.queue.depth",
            () => Volatile.Read(ref _queueDepth) is var q and >= 0 ? [new Measurement<long>(q)] : Array.Empty<Measurement<long>>(),
            "{message}",
            "Messages waiting in login-queue, visible ones only (polled).");
        _meter.CreateObservableGauge(
            "loginconsumer.ready",
            () => Volatile.Read(ref _ready) is var r and >= 0 ? [new Measurement<int>(r)] : Array.Empty<Measurement<int>>(),
            description: "1 when the last readiness check passed (database, migrations, queue), else 0.");
        _meter.CreateObservableGauge("loginconsumer.messages.in_flight", () => InFlight(), "{message}", "Messages received and not yet settled.");
        _meter.CreateObservableGauge(
            "loginconsumer.settle.stalled",
            () => SettleStalled() ? 1 : 0,
            description: "1 while deletes or error-queue sends have failed for Sqs:SettleStallAfter without a success (receiving is paused), else 0.");
        _meter.CreateObservableGauge(
            "loginconsumer.error_queue.depth",
            () => Volatile.Read(ref _errorQueueDepth) is var d and >= 0 ? [new Measurement<long>(d)] : Array.Empty<Measurement<long>>(),
            "{message}",
            "Messages in the error queue (polled).");
        _meter.CreateObservableGauge(
            "loginconsumer.error_queue.oldest_age",
            () => Volatile.Read(ref _errorQueueOldestAge) is var a and >= 0 ? [new Measurement<double>(a)] : Array.Empty<Measurement<double>>(),
            "s",
            "Age of the oldest message seen in the error queue (polled; 0 when empty).");
    }

    public ActivitySource ActivitySource { get; }

    /// <summary>Messages being handled right now: the receive loop points this at its own count when it starts.</summary>
    public Func<int> InFlight { get; set; } = () => 0;

    /// <summary>Whether settling is stalled: the composition points this at the settle health.</summary>
    public Func<bool> SettleStalled { get; set; } = () => false;

    public void Received(int count)
    {
        _received.Add(count);
        _semconvConsumed.Add(count, _receiveTags);
    }

    /// <summary>One message handled, from its hand-over to its outcome; <paramref name="errorType"/> is null when its row is stored.</summary>
    public void Processed(TimeSpan duration, string? errorType)
    {
        if (errorType is null)
        {
            _semconvProcessDuration.Record(duration.TotalSeconds, _processTags);
            return;
        }

        var tags = new TagList(_processTags) { { "error.type", errorType } };
        _semconvProcessDuration.Record(duration.TotalSeconds, tags);
    }

    public void Redelivered() => _redelivered.Add(1);

    public void Consumed(TimeSpan? lag)
    {
        _consumed.Add(1);
        if (lag is { } value)
        {
            _lag.Record(Math.Max(0, value.TotalSeconds));
        }
    }

    public void Poisoned(string reasonCode) => _poisoned.Add(1, new KeyValuePair<string, object?>("reason", reasonCode));

    public void Retried() => _retried.Add(1);

    public void UntrustedAttributes() => _untrustedAttributes.Add(1);

    public void BatchCommitted(int batchSize, int inserted)
    {
        _batchSize.Record(batchSize);
        _inserted.Add(inserted);
        _duplicates.Add(batchSize - inserted);
    }

    public void QueuePolled(long visible) => Volatile.Write(ref _queueDepth, visible);

    public void ReadinessChecked(bool ready) => Volatile.Write(ref _ready, ready ? 1 : 0);

    /// <summary>The error queue's depth, and the age of its oldest message when it was peeked (0 when empty; no series when not peeked).</summary>
    public void ErrorQueuePolled(long depth, TimeSpan? oldestAge, bool ageKnown)
    {
        Volatile.Write(ref _errorQueueDepth, depth);
        Volatile.Write(ref _errorQueueOldestAge, ageKnown ? oldestAge?.TotalSeconds ?? 0 : -1);
    }

    public void Dispose()
    {
        ActivitySource.Dispose();
        _meter.Dispose();
    }
}
