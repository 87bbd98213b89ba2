using System.Diagnostics;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

public sealed class CompetingConsumersTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Messages = 30_000;
    private const string Prefix = "compete";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task RunUntilEmpty_ThreeProcessesOnOneQueue_EveryMessageEndsAsExactlyOneRow()
    {
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, Messages));
        var clock = Stopwatch.StartNew();

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _scope.RunConsumerAsync(["run", "--until-empty"], timeout: TimeSpan.FromMinutes(5))));

        output.WriteLine($"3 consumers drained {Messages} messages in {clock.Elapsed.TotalSeconds:F1} s ({Messages / clock.Elapsed.TotalSeconds:F0} msg/s, including start-up)");
        Assert.All(runs, run => Assert.True(run.ExitCode == 0, run.Output));
        NumberedLogins.AssertExactlyOnce(await _scope.RowsAsync(), Prefix, Messages, output);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }
}
