using System.Diagnostics;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

public sealed class GracefulShutdownTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Prefix = "stop";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 60);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Sigterm_MidDrain_FinishesWhatItStartedAndLeavesNothingInFlight()
    {
        const int messages = 20_000;
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, messages));
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?> { ["Sqs__VisibilityTimeoutSeconds"] = "60" });
        var log = consumer.StandardOutput.ReadToEndAsync();
        _ = consumer.StandardError.ReadToEndAsync();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() >= 1_000, TimeSpan.FromSeconds(60));

        var clock = Stopwatch.StartNew();
        await Signals.TerminateAsync(consumer);
        await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
        var exitTime = clock.Elapsed;

        // With a 60 s visibility timeout, anything still hidden now was left in flight by the stop.
        var (visible, inFlight) = await _scope.MainQueueCountsAsync();
        var rows = await _scope.RowCountAsync();
        output.WriteLine($"SIGTERM with {messages - visible} received: exited in {exitTime.TotalSeconds:F2} s; {rows} rows, {visible} visible, {inFlight} in flight");
        Assert.Equal(0, consumer.ExitCode);
        Assert.Equal(0, inFlight);
        Assert.Equal(messages, rows + visible);
        Assert.Contains("every started message is settled", await log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_DuringAnIdleLongPoll_ExitsWithoutWaitingForThePoll()
    {
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?> { ["Sqs__WaitTimeSeconds"] = "20" });
        var log = new OutputCapture(consumer);
        _ = consumer.StandardError.ReadToEndAsync();
        await log.WaitForAsync("Receiving from", TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(1)); // every receiver is now in its 20 s long poll on the empty queue

        var clock = Stopwatch.StartNew();
        await Signals.TerminateAsync(consumer);
        await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
        output.WriteLine($"exited {clock.Elapsed.TotalSeconds:F2} s after SIGTERM during a 20 s long poll");

        Assert.Equal(0, consumer.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"shutdown waited {clock.Elapsed} for the long poll");
        Assert.Contains("Stopped receiving", await log.AllAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_WhileTheDatabaseIsDown_ReleasesHeldMessagesAtOnceInsteadOfHidingThem()
    {
        const int messages = 50;
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, messages));
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?>
        {
            ["ConnectionStrings__LoginDb"] = ClosedPort.DatabaseDown(timeoutSeconds: 1),
            ["Sqs__VisibilityTimeoutSeconds"] = "60",
            ["Sqs__ShutdownGrace"] = "00:00:02",

            // A long poll cut short at stop lives on at the server for up to its wait time and takes the
            // first message that becomes visible (docs/guarantees.md, Limits). A 1 s poll has ended before the
            // 2 s grace releases the held messages, so this test sees the release alone.
            ["Sqs__WaitTimeSeconds"] = "1",
        });
        var log = new OutputCapture(consumer);
        _ = consumer.StandardError.ReadToEndAsync();
        await Poll.UntilAsync(async () => (await _scope.MainQueueCountsAsync()).NotVisible == messages, TimeSpan.FromSeconds(30));
        await log.WaitForAsync("The database cannot be used", TimeSpan.FromSeconds(30)); // the writer now holds them

        var clock = Stopwatch.StartNew();
        await Signals.TerminateAsync(consumer);
        await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
        output.WriteLine($"exited {clock.Elapsed.TotalSeconds:F2} s after SIGTERM with {messages} messages held (grace 2 s)");

        Assert.Equal(0, consumer.ExitCode);
        Assert.Equal((messages, 0), await _scope.MainQueueCountsAsync());
        Assert.Contains("visible again at once", await log.AllAsync(), StringComparison.Ordinal);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
    }
}
