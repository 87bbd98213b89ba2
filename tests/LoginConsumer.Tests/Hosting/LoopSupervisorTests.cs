using LoginConsumer.Hosting;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Hosting;

public sealed class LoopSupervisorTests
{
    private static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(90);

    private readonly FakeTimeProvider _time = new();
    private readonly LoopSupervisor _supervisor;

    public LoopSupervisorTests() => _supervisor = new LoopSupervisor(_time, NullLogger<LoopSupervisor>.Instance);

    [Fact]
    public async Task RunAsync_LoopThrows_IsStartedAgainAndStaysHealthy()
    {
        using var stop = new CancellationTokenSource();
        var runs = 0;
        var running = _supervisor.RunAsync(
            "flaky",
            async token =>
            {
                if (Interlocked.Increment(ref runs) < 3)
                {
                    throw new IOException("Connection reset by peer");
                }

                _supervisor.RoundSucceeded("flaky");
                await Task.Delay(Timeout.Infinite, token);
            },
            stop.Token);

        while (Volatile.Read(ref runs) < 3)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        Assert.Empty(_supervisor.Unhealthy(StallAfter));
        await stop.CancelAsync();
        await running;
        Assert.Empty(_supervisor.Unhealthy(StallAfter));
    }

    [Fact]
    public async Task RunAsync_LoopThatReportsNoRoundsThrowsOnceThenRuns_IsHealthyAgain()
    {
        using var stop = new CancellationTokenSource();
        var runs = 0;
        var running = _supervisor.RunAsync(
            "deleter",
            async token =>
            {
                if (Interlocked.Increment(ref runs) == 1)
                {
                    throw new IOException("Connection reset by peer");
                }

                await Task.Delay(Timeout.Infinite, token);
            },
            stop.Token);

        // Past the stall limit in small steps, so the restart's pause and the recovery window both pass on the fake clock.
        for (var waited = TimeSpan.Zero; waited <= StallAfter + TimeSpan.FromSeconds(5); waited += TimeSpan.FromSeconds(1))
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        Assert.Equal(2, Volatile.Read(ref runs));
        Assert.Empty(_supervisor.Unhealthy(StallAfter));
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task RunAsync_LoopEndsWhileTheServiceRuns_IsReportedUnhealthy()
    {
        await _supervisor.RunAsync("quitter", _ => Task.CompletedTask, CancellationToken.None);

        Assert.Equal(["quitter has ended"], _supervisor.Unhealthy(StallAfter));
    }

    [Fact]
    public async Task RunAsync_LoopEndsBecauseTheServiceStops_IsNotUnhealthy()
    {
        using var stop = new CancellationTokenSource();
        await _supervisor.RunAsync("stopper", async _ => await stop.CancelAsync(), stop.Token);

        Assert.Empty(_supervisor.Unhealthy(StallAfter));
    }

    [Fact]
    public void Unhealthy_FailingEveryRoundLongerThanTheStall_IsReportedUntilARoundSucceeds()
    {
        _supervisor.RoundFailed(VisibilityHeartbeat.LoopName);
        _time.Advance(StallAfter);
        Assert.Empty(_supervisor.Unhealthy(StallAfter));

        _supervisor.RoundFailed(VisibilityHeartbeat.LoopName);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["visibility heartbeat has failed every round for 91 s"], _supervisor.Unhealthy(StallAfter));

        _supervisor.RoundSucceeded(VisibilityHeartbeat.LoopName);
        Assert.Empty(_supervisor.Unhealthy(StallAfter));
    }
}
