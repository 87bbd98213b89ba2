using LoginConsumer.IntegrationTests.Infrastructure;

namespace LoginConsumer.IntegrationTests;

public sealed class FailureHandlingTests : IAsyncLifetime
{
    private const string Body = """{"user_id": "u-1", "ip": "10.1.2.3", "device_id": "d-1", "app_version": "1.0"}""";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 1, maxReceiveCount: 50);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    /// <summary>
    /// A closed port: every connection attempt is refused at once, as when the database is down. While it is down
    /// messages are held, up to the dispatch timeout (1 s here, 2 min by default), then given up for redelivery.
    /// </summary>
    private static Dictionary<string, string?> DatabaseDown() => new()
    {
        ["ConnectionStrings__LoginDb"] = ClosedPort.DatabaseDown(timeoutSeconds: 2),
        ["Consumer__RetryLimit"] = "2",
        ["Sqs__DispatchTimeout"] = "00:00:02",
        ["Sqs__RedeliveryBackoffBase"] = "00:00:00",
        ["Sqs__VisibilityTimeoutSeconds"] = "1",
    };

    [Fact]
    public async Task Run_DatabaseDownThenUp_RetriesLeaveTheMessageForRedeliveryAndItIsStoredLater()
    {
        await _scope.SendOneAsync(Body);
        using (var consumer = _scope.StartConsumer(["run"], DatabaseDown()))
        {
            var log = new OutputCapture(consumer);
            _ = consumer.StandardError.ReadToEndAsync();
            await log.WaitForAsync("left for SQS to redeliver", TimeSpan.FromSeconds(60));
            await Signals.TerminateAsync(consumer);
            try
            {
                await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                consumer.Kill();
                Assert.Fail("Still running 30 s after SIGTERM. Its output:\n" + log.Text);
            }
        }

        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
        Assert.Empty(await _scope.RowsAsync());

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"]);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("u-1", Assert.Single(await _scope.RowsAsync()).UserId);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
    }

    [Fact]
    public async Task Run_ProcessKeepsDyingWithTheMessage_RedrivePolicyMovesItToTheErrorQueue()
    {
        // maxReceiveCount 3: the 4th receive moves the message to the error queue instead of delivering it.
        await _scope.CreateQueuesAsync(visibilityTimeoutSeconds: 1, maxReceiveCount: 3, suffix: "-redrive");
        var messageId = await _scope.SendOneAsync(Body);
        List<Amazon.SQS.Model.Message> moved = [];
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (moved.Count == 0 && DateTime.UtcNow < deadline)
        {
            // Each life receives the message, gets stuck on the database, and is SIGKILLed: as a message that
            // crashes the process would. (A killed process's long polls live on at the server and count too.)
            using var consumer = _scope.StartConsumer(["run"], DatabaseDown());
            var log = new OutputCapture(consumer);
            _ = consumer.StandardError.ReadToEndAsync();

            // This life received the message once its batch has failed; a life that finds the queue empty (the message
            // hidden by an earlier life, or moved) ends after a few seconds.
            await Task.WhenAny(log.WaitForAsync("The database cannot be used", TimeSpan.FromSeconds(30)), Task.Delay(TimeSpan.FromSeconds(5)));
            consumer.Kill();
            await consumer.WaitForExitAsync();
            moved = await _scope.ReceiveAllErrorsAsync();
        }

        var message = Assert.Single(moved);
        Assert.Equal(messageId, message.MessageId);
        Assert.Equal(Body, message.Body);
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
}
