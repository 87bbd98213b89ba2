using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

/// <summary>A consumer rolled out before its migration holds its messages instead of burning their receives into the error queue.</summary>
public sealed class UnmigratedDatabaseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Messages = 50;
    private const string Prefix = "unmigrated";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(migrate: false, maxReceiveCount: 2);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Run_BeforeTheMigration_PausesWithoutDeadLetteringAndStoresEverythingOnceMigrated()
    {
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, Messages));
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?>
        {
            ["Sqs__VisibilityTimeoutSeconds"] = "3",
            ["Sqs__RedeliveryBackoffBase"] = "00:00:00.100", // without the pause, every message would be dead-lettered in seconds
        });
        var capture = new OutputCapture(consumer);
        try
        {
            // Several visibility timeouts and more than maxReceiveCount (2) receives' worth of time pass: nothing may be
            // dead-lettered, because the receivers paused and the heartbeat keeps the held messages hidden.
            await Task.Delay(TimeSpan.FromSeconds(10));
            var (visible, notVisible) = await _scope.MainQueueCountsAsync();
            var errorsWhilePaused = (await _scope.ReceiveAllErrorsAsync()).Count;
            output.WriteLine($"while unmigrated: {visible} visible, {notVisible} held, {errorsWhilePaused} in the error queue");
            Assert.Equal(0, errorsWhilePaused);
            Assert.Equal(Messages, visible + notVisible);

            // The probe says why (it retries every second, so a transient connection failure only delays the line).
            await capture.WaitForAsync("lacks this build's schema", TimeSpan.FromSeconds(30));

            await _scope.MigrateAsync();
            await Poll.UntilAsync(async () => await _scope.RowCountAsync() == Messages, TimeSpan.FromSeconds(60));
            NumberedLogins.AssertExactlyOnce(await _scope.RowsAsync(), Prefix, Messages, output);
            Assert.Empty(await _scope.ReceiveAllErrorsAsync());
        }
        finally
        {
            await Signals.TerminateAsync(consumer);
            // Every log entry's first two lines (level, category, message), then the tail as it was.
            var lines = (await capture.AllAsync()).Split('\n');
            var entries = lines.Select((line, i) => (line, i)).Where(x => x.line.StartsWith("fail:", StringComparison.Ordinal) || x.line.StartsWith("warn:", StringComparison.Ordinal) || x.line.StartsWith("info:", StringComparison.Ordinal))
                .Select(x => x.line + " " + (x.i + 1 < lines.Length ? lines[x.i + 1].Trim() : string.Empty));
            output.WriteLine(string.Join('\n', entries));
        }
    }
}
