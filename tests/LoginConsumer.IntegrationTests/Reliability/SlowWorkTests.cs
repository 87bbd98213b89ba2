using LoginConsumer.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

public sealed class SlowWorkTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Messages = 20;
    private const string Prefix = "slow";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 3);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Run_WorkSlowerThanTheVisibilityTimeout_IsNotDeliveredTwiceWhileItRuns()
    {
        // Hold a lock that blocks every INSERT for 9 s: three visibility timeouts.
        await using var blocker = new NpgsqlConnection(_scope.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE user_logins IN EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, Messages));
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?>
        {
            ["Sqs__VisibilityTimeoutSeconds"] = "3",
            ["Logging__LogLevel__LoginConsumer.Sqs"] = "Debug",
        });
        var log = consumer.StandardOutput.ReadToEndAsync();
        _ = consumer.StandardError.ReadToEndAsync();

        await Poll.UntilAsync(async () => (await _scope.MainQueueCountsAsync()).NotVisible == Messages, TimeSpan.FromSeconds(30));
        var maxVisible = 0;
        for (var i = 0; i < 36; i++)
        {
            await Task.Delay(250);
            maxVisible = Math.Max(maxVisible, (await _scope.MainQueueCountsAsync()).Visible);
        }

        await transaction.RollbackAsync();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() == Messages, TimeSpan.FromSeconds(30));
        await Signals.TerminateAsync(consumer);
        await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));

        var text = await log;
        var extensions = text.Split('\n').Count(l => l.Contains("Extended the visibility", StringComparison.Ordinal));
        output.WriteLine($"9 s of blocked work under a 3 s visibility timeout: {extensions} heartbeat extensions, at most {maxVisible} messages visible meanwhile");
        Assert.Equal(0, maxVisible);
        Assert.True(extensions >= 3, "the heartbeat did not extend the messages' visibility");
        Assert.DoesNotContain("(receive 2)", text, StringComparison.Ordinal);
        NumberedLogins.AssertExactlyOnce(await _scope.RowsAsync(), Prefix, Messages, output);
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }
}
