using System.Diagnostics;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

public sealed class CrashRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Messages = 20_000;
    private const int Kills = 5;
    private const string Prefix = "crash";

    // Short, so that what a killed process held comes back in seconds; the heartbeat keeps live work hidden.
    private static readonly Dictionary<string, string?> ShortVisibility = new() { ["Sqs__VisibilityTimeoutSeconds"] = "2" };

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 2);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Run_KilledWithSigkillFiveTimesMidDrain_EveryMessageEndsAsExactlyOneRow()
    {
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, Messages));
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();

        for (var kill = 1; kill <= Kills; kill++)
        {
            var before = await _scope.RowCountAsync();
            using var consumer = _scope.StartConsumer(["run"], ShortVisibility);
            _ = consumer.StandardOutput.ReadToEndAsync();
            _ = consumer.StandardError.ReadToEndAsync();

            // Kill only once it is storing rows, at a random moment after that.
            await Poll.UntilAsync(async () => await _scope.RowCountAsync() > before || consumer.HasExited, TimeSpan.FromSeconds(60));
            await Task.Delay(random.Next(50, 600));
            consumer.Kill();
            await consumer.WaitForExitAsync();
            var (visible, hidden) = await _scope.MainQueueCountsAsync();
            output.WriteLine($"kill {kill}: SIGKILL at {clock.Elapsed.TotalSeconds:F1} s with {await _scope.RowCountAsync()} rows stored; queue {visible} visible, {hidden} in flight");
        }

        var final = await _scope.RunConsumerAsync(["run", "--until-empty"], ShortVisibility);
        Assert.True(final.ExitCode == 0, final.Output);
        output.WriteLine($"drained after {Kills} kills in {clock.Elapsed.TotalSeconds:F1} s (random seed {seed})");

        NumberedLogins.AssertExactlyOnce(await _scope.RowsAsync(), Prefix, Messages, output);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }
}
