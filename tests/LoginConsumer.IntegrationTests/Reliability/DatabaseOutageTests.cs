using System.Diagnostics;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

public sealed class DatabaseOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Messages = 20_000;
    private const string Prefix = "outage";
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    private PrivatePostgres _postgres = null!;
    private TestScope _scope = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PrivatePostgres.StartAsync();
        _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 5, postgres: _postgres);
    }

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Fact]
    public async Task Run_DatabaseStoppedFor30SecondsMidDrain_PausesWithoutSpinningAndLosesNothing()
    {
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, Messages));
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?>
        {
            ["Sqs__VisibilityTimeoutSeconds"] = "5",
            ["BatchWriter__ProbeInterval"] = "00:00:00.500",
        });
        var log = consumer.StandardOutput.ReadToEndAsync();
        _ = consumer.StandardError.ReadToEndAsync();

        await Poll.UntilAsync(async () => await _scope.RowCountAsync() >= 2_000, TimeSpan.FromSeconds(60));
        await _postgres.StopServerAsync();
        var outageStart = Stopwatch.StartNew();
        var cpuAtStart = consumer.TotalProcessorTime;

        await Task.Delay(TimeSpan.FromSeconds(5)); // time to notice, fail a batch, and close the gate
        var (visibleEarly, inFlightEarly) = await _scope.MainQueueCountsAsync();
        await Task.Delay(Outage - outageStart.Elapsed);
        var (visibleLate, inFlightLate) = await _scope.MainQueueCountsAsync();
        var cpu = consumer.TotalProcessorTime - cpuAtStart;
        output.WriteLine($"during the {Outage.TotalSeconds:F0} s outage: consumer CPU {cpu.TotalSeconds:F2} s; queue visible {visibleEarly} → {visibleLate}, in flight {inFlightEarly} → {inFlightLate}");

        Assert.False(consumer.HasExited, "the consumer crashed while the database was down");
        Assert.Equal(visibleEarly, visibleLate); // receiving paused: nothing pulled that could not be stored
        Assert.True(cpu < Outage / 4, $"the consumer used {cpu.TotalSeconds:F1} s of CPU in a {Outage.TotalSeconds:F0} s outage: it spins");
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());

        await _postgres.StartServerAsync();
        var recovery = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() >= Messages, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(500));
        output.WriteLine($"all {Messages} rows stored {recovery.Elapsed.TotalSeconds:F1} s after the database came back");

        await Signals.TerminateAsync(consumer);
        await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
        Assert.Equal(0, consumer.ExitCode);
        var text = await log;
        // The readiness check's verdict is not logged per evaluation (HealthChecks' own category is at Critical).
        Assert.DoesNotContain("Health check database with status Unhealthy", text, StringComparison.Ordinal);

        // An outage logs its changes of state, not a line per probe (60 probes in 30 s): down (why) and back; a connection
        // the restart broke may fail one more batch after it.
        Assert.InRange(text.Split('\n').Count(l => l.Contains("The database cannot be used", StringComparison.Ordinal)), 1, 3);
        Assert.DoesNotContain("Microsoft.EntityFrameworkCore.Database", text, StringComparison.Ordinal);
        NumberedLogins.AssertExactlyOnce(await _scope.RowsAsync(), Prefix, Messages, output);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }
}
