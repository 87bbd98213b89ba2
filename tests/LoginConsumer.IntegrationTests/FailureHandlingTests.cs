using LoginConsumer.IntegrationTests.Infrastructure;

namespace LoginConsumer.IntegrationTests;

public sealed class FailureHandlingTests : IAsyncLifetime
{
    private const string Body = """{"user_id": "u-1", "ip": "10.1.2.3", "device_id": "d-1", "app_version": "1.0"}""";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 1, maxReceiveCount: 50);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    /// <summary>A closed port: every connection attempt fails at once, as when the database is down.</summary>
    private static Dictionary<string, string?> DatabaseDown() => new()
    {
        ["ConnectionStrings__LoginDb"] = $"Host=127.0.0.1;Port={FreePort()};Database=x;Username=postgres;Password=postgres;Timeout=2",
        ["Consumer__RetryLimit"] = "2",
    };

    [Fact]
    public async Task Run_DatabaseDownThenUp_RetriesLeaveTheMessageForRedeliveryAndItIsStoredLater()
    {
        await _scope.SendOneAsync(Body);
        using (var consumer = _scope.StartConsumer(["run"], DatabaseDown()))
        {
            var output = consumer.StandardOutput.ReadToEndAsync();
            await WaitUntilAsync(async () => (await _scope.MainQueueCountsAsync()).NotVisible == 1, TimeSpan.FromSeconds(20));
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // at least one redelivery after the 1 s visibility timeout
            await Signals.TerminateAsync(consumer);
            await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("left for SQS to redeliver", await output, StringComparison.Ordinal);
        }

        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
        Assert.Empty(await _scope.RowsAsync());

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"]);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("u-1", Assert.Single(await _scope.RowsAsync()).UserId);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
    }

    [Fact]
    public async Task Run_DatabaseStaysDown_RedrivePolicyMovesTheMessageToTheErrorQueueAfterMaxReceives()
    {
        await _scope.CreateQueuesAsync(visibilityTimeoutSeconds: 1, maxReceiveCount: 3, suffix: "-redrive");
        var messageId = await _scope.SendOneAsync(Body);
        using var consumer = _scope.StartConsumer(["run"], DatabaseDown());
        _ = consumer.StandardOutput.ReadToEndAsync();
        try
        {
            var moved = await WaitForAsync(async () => await _scope.ReceiveAllErrorsAsync() is [var m] ? m : null, TimeSpan.FromSeconds(30));
            Assert.Equal(messageId, moved.MessageId);
            Assert.Equal(Body, moved.Body);
        }
        finally
        {
            await Signals.TerminateAsync(consumer);
            await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }

    [Fact]
    public async Task RunUntilEmpty_MalformedBodies_EachEndsInTheErrorQueueWithAReasonAndGoodOnesAreStored()
    {
        var bodies = new Dictionary<string, string>
        {
            ["not json"] = "login user=42",
            ["array"] = """[{"user_id": "a"}]""",
            ["string"] = "\"user_id\"",
            ["null"] = "null",
            ["wrong type"] = """{"user_id": 12345, "ip": "10.0.0.1"}""",
            ["too long"] = "{\"user_id\": \"u\", \"locale\": \"" + new string('x', 33) + "\"}",
            ["bad ip"] = """{"user_id": "u", "ip": "999.1.1.1"}""",
            ["good"] = Body,
        };
        var ids = new Dictionary<string, string>();
        foreach (var (name, body) in bodies)
        {
            ids[await _scope.SendOneAsync(body)] = name;
        }

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("u-1", Assert.Single(await _scope.RowsAsync()).UserId);
        var errors = await _scope.ReceiveAllErrorsAsync();
        Assert.All(errors, e => Assert.True(e.MessageAttributes?.ContainsKey(LoginConsumer.Sqs.ErrorQueueSender.ReasonCodeAttribute) == true, e.Body + "\n" + run.Output));
        var reasons = errors.ToDictionary(
            e => ids[e.MessageAttributes[LoginConsumer.Sqs.ErrorQueueSender.OriginalMessageIdAttribute].StringValue],
            e => e.MessageAttributes[LoginConsumer.Sqs.ErrorQueueSender.ReasonCodeAttribute].StringValue);
        Assert.Equal(bodies.Keys.Where(k => k != "good").Order(), reasons.Keys.Order());
        Assert.Equal("too_long", reasons["too long"]);
        Assert.Equal("invalid_ip", reasons["bad ip"]);
        Assert.Equal("invalid_json", reasons["wrong type"]);
        Assert.All(errors, e => Assert.Equal("1", e.MessageAttributes[LoginConsumer.Sqs.ErrorQueueSender.ReceiveCountAttribute].StringValue));
        Assert.All(errors, e => Assert.Equal(bodies[ids[e.MessageAttributes[LoginConsumer.Sqs.ErrorQueueSender.OriginalMessageIdAttribute].StringValue]], e.Body));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout) =>
        await WaitForAsync(async () => await condition() ? true : (bool?)null, timeout);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {timeout}.");
            }

            await Task.Delay(200);
        }
    }
}
