using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LoginConsumer.Infrastructure;

/// <summary>
/// Runs the service's background loops so that none dies silently. A loop that throws is logged and started again
/// after a jittered, growing pause; a loop that ends while the service is not stopping is logged and stays ended.
/// Loops say when a round failed or succeeded, and /health/live reads the result: unhealthy when a loop has ended, or
/// has failed every round for longer than the allowed stall.
/// </summary>
public sealed partial class LoopSupervisor(TimeProvider time, ILogger<LoopSupervisor> logger)
{
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);
    private static readonly Backoff RestartDelay = new(TimeSpan.FromMilliseconds(250), MaxRestartDelay);

    /// <summary>How long a restarted loop must run without trouble to count as healthy again.</summary>
    public static readonly TimeSpan RecoveredAfter = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, LoopState> _loops = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="loop"/> until <paramref name="stoppingToken"/> is cancelled, restarting it whenever it throws.</summary>
    public async Task RunAsync(string name, Func<CancellationToken, Task> loop, CancellationToken stoppingToken)
    {
        var state = _loops.GetOrAdd(name, _ => new LoopState());
        var restarts = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var running = loop(stoppingToken);
                if (restarts > 0)
                {
                    await RecoveredAsync(state, running, stoppingToken).ConfigureAwait(false);
                }

                await running.ConfigureAwait(false);
                if (!stoppingToken.IsCancellationRequested)
                {
                    state.Ended = true;
                    LogEnded(name);
                }

                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                RoundFailed(name);
                restarts++;
                var delay = RestartDelay.For(restarts + 1);
                LogRestarting(ex, name, delay);
                try
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// A loop started again after it threw is healthy again once it has run for <see cref="RecoveredAfter"/> without
    /// throwing and without a failed round since its restart: a loop that reports no rounds of its own would otherwise
    /// stay marked failing, and liveness would restart a pod that has recovered.
    /// </summary>
    private async Task RecoveredAsync(LoopState state, Task running, CancellationToken stoppingToken)
    {
        var restartedAt = time.GetUtcNow().UtcTicks;
        try
        {
            await Task.WhenAny(running, Task.Delay(RecoveredAfter, time, stoppingToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!running.IsCompleted && Volatile.Read(ref state.LastFailedRoundTicks) < restartedAt)
        {
            Interlocked.Exchange(ref state.FailingSinceTicks, 0);
        }
    }

    /// <summary>A round of <paramref name="name"/> did its work (or had none to do).</summary>
    public void RoundSucceeded(string name)
    {
        var state = _loops.GetOrAdd(name, _ => new LoopState());
        state.FailingSinceTicks = 0;
    }

    /// <summary>A round of <paramref name="name"/> failed; the loop goes on.</summary>
    public void RoundFailed(string name)
    {
        var state = _loops.GetOrAdd(name, _ => new LoopState());
        var now = time.GetUtcNow().UtcTicks;
        Volatile.Write(ref state.LastFailedRoundTicks, now);
        Interlocked.CompareExchange(ref state.FailingSinceTicks, now, 0);
    }

    /// <summary>The loops that ended, or have failed every round for longer than <paramref name="stallAfter"/>, with how long.</summary>
    public IReadOnlyList<string> Unhealthy(TimeSpan stallAfter)
    {
        var now = time.GetUtcNow().UtcTicks;
        var unhealthy = new List<string>();
        foreach (var (name, state) in _loops)
        {
            var failingSince = Volatile.Read(ref state.FailingSinceTicks);
            if (state.Ended)
            {
                unhealthy.Add(name + " has ended");
            }
            else if (failingSince != 0 && TimeSpan.FromTicks(now - failingSince) > stallAfter)
            {
                unhealthy.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} has failed every round for {TimeSpan.FromTicks(now - failingSince).TotalSeconds:F0} s"));
            }
        }

        unhealthy.Sort(StringComparer.Ordinal);
        return unhealthy;
    }

    [LoggerMessage(EventId = 1801, Level = LogLevel.Error, Message = "Background loop {Loop} failed; starting it again in {Delay}")]
    private partial void LogRestarting(Exception exception, string loop, TimeSpan delay);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Critical, Message = "Background loop {Loop} ended while the service runs; /health/live now reports it")]
    private partial void LogEnded(string loop);

    private sealed class LoopState
    {
        public long FailingSinceTicks;
        public long LastFailedRoundTicks;
        public volatile bool Ended;
    }
}
