using System.Collections.Concurrent;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// Keeps messages that are still being worked on invisible: on every beat (a third of the visibility
/// timeout), whatever has been in flight for at least one beat is extended to a full timeout from now, in
/// ChangeMessageVisibilityBatch calls of up to 10, so about two thirds of a timeout of slack remain for a
/// late beat. Messages that finish within a beat (nearly all) cost no call at all. A message
/// stops being extended the moment it is untracked (before it is deleted, dead-lettered or released) and
/// never past SQS's 12-hour limit from its receipt.
/// </summary>
public sealed partial class VisibilityHeartbeat(IAmazonSQS sqs, TimeProvider time, IOptions<SqsOptions> options, ILogger<VisibilityHeartbeat> logger)
    : IDisposable
{
    private static readonly TimeSpan MaxTotal = TimeSpan.FromHours(12);

    private readonly TimeSpan _timeout = TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds);
    private readonly ConcurrentDictionary<InFlightMessage, byte> _tracked = new(ReferenceEqualityComparer.Instance);
    private readonly SemaphoreSlim _round = new(1, 1);

    /// <summary>How often the heartbeat looks: a third of the timeout, so a message is extended with time to spare.</summary>
    public TimeSpan Interval => TimeSpan.FromTicks(Math.Clamp(_timeout.Ticks / 3, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(10).Ticks));

    public void Dispose() => _round.Dispose();

    /// <summary>At least one beat since it was received or last extended, and one more extension would not pass 12 hours since it was received.</summary>
    public static bool IsDue(InFlightMessage message, DateTimeOffset now, TimeSpan timeout, TimeSpan interval) =>
        message.VisibleUntil - now <= timeout - interval && now - message.ReceivedAt + timeout <= MaxTotal;

    public InFlightMessage Track(string queueUrl, Message message)
    {
        var now = time.GetUtcNow();
        var tracked = new InFlightMessage(queueUrl, message.MessageId, message.ReceiptHandle, now, now + _timeout);
        _tracked.TryAdd(tracked, 0);
        return tracked;
    }

    public void Untrack(InFlightMessage message) => _tracked.TryRemove(message, out _);

    /// <summary>
    /// Untracks, and waits out a heartbeat round in progress: one that took its snapshot before the
    /// untrack could otherwise extend the message after the caller made it visible again.
    /// </summary>
    public async Task UntrackBeforeReleaseAsync(InFlightMessage message)
    {
        Untrack(message);
        await _round.WaitAsync().ConfigureAwait(false);
        _round.Release();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await ExtendDueAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ExtendDueAsync(CancellationToken cancellationToken)
    {
        await _round.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExtendRoundAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task ExtendRoundAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var interval = Interval;
        var due = _tracked.Keys.Where(m => IsDue(m, now, _timeout, interval)).ToList();
        foreach (var chunk in due.Chunk(10))
        {
            try
            {
                var response = await sqs.ChangeMessageVisibilityBatchAsync(
                    new ChangeMessageVisibilityBatchRequest
                    {
                        QueueUrl = chunk[0].QueueUrl,
                        Entries =
                        [
                            .. chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)
                            {
                                VisibilityTimeout = (int)_timeout.TotalSeconds,
                            }),
                        ],
                    },
                    cancellationToken).ConfigureAwait(false);
                var failed = new HashSet<string>(response.Failed?.Select(f => f.Id) ?? [], StringComparer.Ordinal);
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (failed.Contains(i.ToString(CultureInfo.InvariantCulture)))
                    {
                        // Usually the message was settled between the snapshot and the call.
                        LogExtendFailed(chunk[i].MessageId);
                    }
                    else
                    {
                        chunk[i].VisibleUntil = now + _timeout;
                    }
                }

                LogExtended(chunk.Length - failed.Count, _timeout);
            }
            catch (Exception ex) when (ex is AmazonSQSException or HttpRequestException)
            {
                LogHeartbeatFailed(ex, chunk.Length);
            }
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Debug, Message = "Extended the visibility of {Count} in-flight messages by {Timeout}")]
    private partial void LogExtended(int count, TimeSpan timeout);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Debug, Message = "Could not extend the visibility of {MessageId}; it was probably settled meanwhile")]
    private partial void LogExtendFailed(string messageId);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "ChangeMessageVisibilityBatch for {Count} messages failed; will try again on the next beat")]
    private partial void LogHeartbeatFailed(Exception exception, int count);
}
