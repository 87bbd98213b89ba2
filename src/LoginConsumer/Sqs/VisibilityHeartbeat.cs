using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Sqs;

/// <summary>
/// Keeps leased messages invisible while they are worked on: on every beat, whatever has been leased for at least one
/// beat is extended to a full timeout from now, in ChangeMessageVisibilityBatch calls of up to 10 that run side by side.
/// The beat is short enough that a lease received just after a round, first extended two beats later by a call that
/// hangs for <see cref="SqsOptions.CallTimeout"/> and is tried again a beat after, still has more than half its timeout
/// left: (timeout / 2 − call timeout) / 4, within 100 ms and 10 s. Messages settled within a beat (nearly all) cost no
/// call at all. A round that fails, whatever the failure, is logged and tried again after at most a beat; the loop
/// itself never ends before the service stops. A lease is never extended past SQS's 12-hour limit from its receipt.
/// </summary>
public sealed partial class VisibilityHeartbeat(IAmazonSQS sqs, SqsCallPolicy policy, LoopSupervisor supervisor, TimeProvider time, IOptions<SqsOptions> options, ILogger<VisibilityHeartbeat> logger)
    : IDisposable
{
    public const string LoopName = "visibility heartbeat";

    private static readonly TimeSpan MaxTotal = TimeSpan.FromHours(12);

    private readonly TimeSpan _timeout = TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds);
    private readonly ConcurrentDictionary<MessageLease, byte> _tracked = new(ReferenceEqualityComparer.Instance);
    private readonly SemaphoreSlim _round = new(1, 1);

    public TimeSpan Timeout => _timeout;

    /// <summary>How often the heartbeat looks.</summary>
    public TimeSpan Interval { get; } = BeatFor(TimeSpan.FromSeconds(options.Value.VisibilityTimeoutSeconds), options.Value.CallTimeout);

    /// <summary>The beat for a visibility timeout and a call timeout (see the class remarks).</summary>
    public static TimeSpan BeatFor(TimeSpan timeout, TimeSpan callTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(((timeout / 2) - callTimeout).Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(10).Ticks));

    /// <summary>Leases being extended now.</summary>
    public int Count => _tracked.Count;

    public void Dispose() => _round.Dispose();

    /// <summary>At least one beat since it was received or last extended, and one more extension would not pass 12 hours since it was received.</summary>
    public static bool IsDue(DateTimeOffset visibleUntil, DateTimeOffset receivedAt, DateTimeOffset now, TimeSpan timeout, TimeSpan interval) =>
        visibleUntil - now <= timeout - interval && now - receivedAt + timeout <= MaxTotal;

    public void Track(MessageLease lease) => _tracked.TryAdd(lease, 0);

    public void Untrack(MessageLease lease) => _tracked.TryRemove(lease, out _);

    /// <summary>
    /// Untracks, and waits out a heartbeat round in progress: one that took its snapshot before the
    /// untrack could otherwise extend the message after the caller made it visible again.
    /// </summary>
    public async Task UntrackBeforeReleaseAsync(MessageLease lease)
    {
        Untrack(lease);

        // No token: a round is bounded by its own call timeouts, and a release must not overtake it.
        await _round.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        _round.Release();
    }

    public Task RunAsync(CancellationToken stoppingToken) => supervisor.RunAsync(LoopName, BeatAsync, stoppingToken);

    private async Task BeatAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (true)
        {
            var pause = failures == 0 ? Interval : TimeSpan.FromTicks(Math.Min(Interval.Ticks, SqsCallPolicy.Backoff(failures).Ticks));
            await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
            if (await ExtendDueAsync(stoppingToken).ConfigureAwait(false))
            {
                failures = 0;
                supervisor.RoundSucceeded(LoopName);
            }
            else
            {
                failures++;
                supervisor.RoundFailed(LoopName);
            }
        }
    }

    /// <summary>One round; false when any call of it failed (its messages are tried again soon).</summary>
    private async Task<bool> ExtendDueAsync(CancellationToken stoppingToken)
    {
        await _round.WaitAsync(stoppingToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var interval = Interval;
            var due = _tracked.Keys.Where(l => IsDue(l.VisibleUntil, l.ReceivedAt, now, _timeout, interval)).ToList();
            // Side by side: one call that hangs must not hold back the others' leases.
            var extended = await Task.WhenAll(SqsBatches.Chunks(due).Select(chunk => ExtendAsync(chunk, now, stoppingToken))).ConfigureAwait(false);
            return extended.All(ok => ok);
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task<bool> ExtendAsync(MessageLease[] chunk, DateTimeOffset now, CancellationToken stoppingToken)
    {
        try
        {
            // One attempt per round: the next round, a moment later, is the retry, and sees what was settled meanwhile.
            var response = await policy.RunAsync(
                "ChangeMessageVisibilityBatch (heartbeat)",
                token => sqs.ChangeMessageVisibilityBatchAsync(SqsBatches.Visibility(chunk, (int)_timeout.TotalSeconds), token),
                new SqsCall(1, policy.CallTimeout, TimeSpan.MaxValue),
                stoppingToken).ConfigureAwait(false);
            var failed = new HashSet<int>((response.Failed ?? []).Select(f => SqsBatches.Index(f.Id)));
            for (var i = 0; i < chunk.Length; i++)
            {
                if (failed.Contains(i))
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
            return true;
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogHeartbeatFailed(ex, chunk.Length, SqsCallPolicy.Describe(ex));
            return false;
        }
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Debug, Message = "Extended the visibility of {Count} in-flight messages by {Timeout}")]
    private partial void LogExtended(int count, TimeSpan timeout);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Debug, Message = "Could not extend the visibility of {MessageId}; it was probably settled meanwhile")]
    private partial void LogExtendFailed(string messageId);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "ChangeMessageVisibilityBatch for {Count} messages failed ({Failure}); trying again shortly")]
    private partial void LogHeartbeatFailed(Exception exception, int count, string failure);
}
