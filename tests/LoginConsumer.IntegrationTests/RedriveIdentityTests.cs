using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests;

/// <summary>
/// Every path to and from the error queue keeps a message's identity (its row key and send time), with SQS's
/// documented semantics in place through <see cref="SqsFront"/>: a move task (StartMessageMoveTask, the console's
/// "redrive") makes each moved message a new message with a new MessageId and SentTimestamp and keeps its message
/// attributes; a RedrivePolicy move keeps the MessageId.
/// </summary>
public sealed class RedriveIdentityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int MaxReceiveCount = 2;
    private const string SecondKeyId = "t2";
    private const string SecondKeyBase64 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    private TestScope _scope = null!;
    private SqsFront _front = null!;

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync(maxReceiveCount: MaxReceiveCount);
        _front = await SqsFront.StartAsync(_scope.Services.SqsEndpoint);
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _scope.DisposeAsync();
    }

    [Fact]
    public async Task Redrive_MessagesTheRedrivePolicyMoved_KeepTheirOriginalIdsAndAddNoSecondRow()
    {
        var bodies = NumberedLogins.Bodies("moved", 4).ToList();
        var ids = new List<string>();
        foreach (var body in bodies)
        {
            ids.Add(await _scope.ExhaustAsync(body, MaxReceiveCount));
        }

        // The first one's row was committed before its deletes were lost: it must not get a second row.
        await InsertRowAsync(ids[0], NumberedLogins.UserId("moved", 0));

        var redrive = await _scope.RunConsumerAsync(["dlq", "redrive"], ThroughFront());
        output.WriteLine(redrive.Output);
        Assert.True(redrive.ExitCode == 0, redrive.Output);
        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], ThroughFront());
        Assert.True(run.ExitCode == 0, run.Output);

        var rows = await _scope.RowsAsync();
        output.WriteLine($"rows {rows.Count}: {string.Join(", ", rows.Select(r => r.MessageId))}; move tasks started {_front.Calls("StartMessageMoveTask")}");
        NumberedLogins.AssertExactlyOnce(rows, "moved", 4, output);
        Assert.Equal(ids.Order(), rows.Select(r => r.MessageId).Order());
    }

    [Fact]
    public async Task Redrive_LargeBodiesBeyondOneBatchRequest_MovesThemInBatchesBoundedByBytes()
    {
        // Ten bodies of 150 KB: one SendMessageBatch of all ten is over SQS's 1 MiB batch payload (BatchRequestTooLong).
        var padding = new string('x', 150_000);
        var ids = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await _scope.ExhaustAsync($$"""{"user_id": "{{NumberedLogins.UserId("big", i)}}", "device_type": "{{padding}}"}""", MaxReceiveCount));
        }

        var redrive = await _scope.RunConsumerAsync(["dlq", "redrive", "--max", "10"]);
        output.WriteLine(redrive.Output);
        Assert.True(redrive.ExitCode == 0, redrive.Output);
        Assert.Contains("10 moved back to login-queue", redrive.Output, StringComparison.Ordinal);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
        Assert.Equal(10, (await _scope.MainQueueCountsAsync()).Visible);
    }

    [Fact]
    public async Task ConsoleMoveTask_OfMessagesTheServiceDeadLettered_KeepsTheirSignedIdentity()
    {
        var originals = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            originals.Add(await _scope.SendOneAsync($$"""{"user_id": "p{{i}}", "ip": "not an address"}"""));
        }

        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);

        // An operator redrives with SQS's own move task: every message comes back as a new message.
        using var sqs = TestScope.SqsClient(_front.Endpoint);
        var errorArn = (await sqs.GetQueueAttributesAsync(_scope.ErrorQueueUrl, [QueueAttributeName.QueueArn])).QueueARN;
        var mainArn = (await sqs.GetQueueAttributesAsync(_scope.QueueUrl, [QueueAttributeName.QueueArn])).QueueARN;
        await sqs.StartMessageMoveTaskAsync(new StartMessageMoveTaskRequest { SourceArn = errorArn, DestinationArn = mainArn });
        await Poll.UntilAsync(
            async () => (await sqs.ListMessageMoveTasksAsync(new ListMessageMoveTasksRequest { SourceArn = errorArn })).Results is [{ Status: "COMPLETED" }, ..],
            TimeSpan.FromSeconds(30));
        var moved = (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = _scope.QueueUrl, MaxNumberOfMessages = 10, VisibilityTimeout = 0 })).Messages!;
        Assert.Equal(3, moved.Count);
        Assert.Empty(moved.Select(m => m.MessageId).Intersect(originals));

        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);
        var errors = await _scope.ReceiveAllErrorsAsync();
        Assert.Equal(
            originals.Order(),
            errors.Select(e => e.MessageAttributes[LoginConsumer.Sqs.ErrorQueueSender.OriginalMessageIdAttribute].StringValue).Order());
    }

    [Fact]
    public async Task Redrive_SignedUnderAKeyTheRingNoLongerHolds_LeavesTheMessageUntilTheKeyIsBack()
    {
        // Dead-lettered by the service under t1 (too large for a 256-byte limit), then t1 is removed too early.
        var original = await _scope.SendOneAsync($$"""{"user_id": "rotated-{{new string('u', 100)}}", "device_id": "{{new string('d', 120)}}"}""");
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"], new Dictionary<string, string?> { ["Consumer__MaxBodyBytes"] = "256" })).ExitCode);
        var onlyTheNewKey = new Dictionary<string, string?>
        {
            ["Masking__Keys__" + TestScope.KeyId] = null,
            ["Masking__Keys__" + SecondKeyId] = SecondKeyBase64,
            ["Masking__ActiveKeyId"] = SecondKeyId,
        };

        var stats = await _scope.RunConsumerAsync(["dlq", "stats"], onlyTheNewKey);
        output.WriteLine(stats.Output);
        Assert.Matches($@"{TestScope.KeyId}\s+1\s+NOT IN Masking:Keys", stats.Output);

        var refused = await _scope.RunConsumerAsync(["dlq", "redrive"], onlyTheNewKey);
        output.WriteLine(refused.Output);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"key(s) {TestScope.KeyId}", refused.Output, StringComparison.Ordinal);
        // Left where it was, and visible again at once for the next run.
        Assert.Equal(1, (await _scope.Sqs.GetQueueAttributesAsync(_scope.ErrorQueueUrl, [QueueAttributeName.ApproximateNumberOfMessages])).ApproximateNumberOfMessages);

        // Back in the ring, verify only: the redrive carries the original identity, re-signed under the active key.
        var bothKeys = new Dictionary<string, string?>(onlyTheNewKey) { ["Masking__Keys__" + TestScope.KeyId] = TestScope.KeyBase64 };
        var redrive = await _scope.RunConsumerAsync(["dlq", "redrive"], bothKeys);
        output.WriteLine(redrive.Output);
        Assert.True(redrive.ExitCode == 0, redrive.Output);
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"], bothKeys)).ExitCode);
        Assert.Equal([original], (await _scope.RowsAsync()).Select(r => r.MessageId));
    }

    [Fact]
    public async Task DeadLetter_PoisonBodyNearSqsLimit_ReachesTheErrorQueueWithItsReasonAndIdentity()
    {
        // Within a few hundred bytes of SQS's 1 MiB: the body fits, the full set of reason attributes would not.
        var body = $$"""{"user_id": "huge", "pad": "{{new string('x', 1_048_300)}}"}""";
        var original = await _scope.SendOneAsync(body);

        using var consumer = _scope.StartConsumer(["run"]);
        _ = consumer.StandardOutput.ReadToEndAsync();
        _ = consumer.StandardError.ReadToEndAsync();
        try
        {
            await Poll.UntilAsync(
                async () => (await _scope.Sqs.GetQueueAttributesAsync(_scope.ErrorQueueUrl, [QueueAttributeName.ApproximateNumberOfMessages])).ApproximateNumberOfMessages == 1,
                TimeSpan.FromSeconds(60));
        }
        finally
        {
            await Signals.TerminateAsync(consumer);
            await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
        }

        var error = Assert.Single(await _scope.ReceiveAllErrorsAsync());
        Assert.Equal("too_large", error.MessageAttributes[LoginConsumer.Sqs.ErrorQueueSender.ReasonCodeAttribute].StringValue);
        Assert.Equal(original, error.MessageAttributes[LoginConsumer.Sqs.ErrorQueueSender.OriginalMessageIdAttribute].StringValue);
        Assert.Equal(body.Length, error.Body.Length);
    }

    [Fact]
    public async Task Topology_CreatesTheErrorQueue_WithSqsLongestRetention()
    {
        var name = _scope.QueueName + "-topo";
        var run = await _scope.RunConsumerAsync(
            ["run", "--until-empty"],
            new Dictionary<string, string?> { ["Sqs__QueueName"] = name, ["Sqs__ErrorQueueName"] = name + "_error", ["Sqs__CreateTopology"] = "true" });
        Assert.True(run.ExitCode == 0, run.Output);
        var url = (await _scope.Sqs.GetQueueUrlAsync(name + "_error")).QueueUrl;
        var attributes = await _scope.Sqs.GetQueueAttributesAsync(url, [QueueAttributeName.MessageRetentionPeriod]);
        Assert.Equal(1_209_600, attributes.MessageRetentionPeriod);

        var compose = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "compose", "fauxqs-init.json")));
        var errorQueue = compose.RootElement.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == "login-queue_error");
        Assert.Equal("1209600", errorQueue.GetProperty("attributes").GetProperty("MessageRetentionPeriod").GetString());
    }

    private Dictionary<string, string?> ThroughFront() => new() { ["AWS_ENDPOINT_URL_SQS"] = _front.Endpoint };

    private async Task InsertRowAsync(string messageId, string userId)
    {
        await using var connection = new NpgsqlConnection(_scope.ConnectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO user_logins (message_id, user_id, create_date) VALUES (@id, @user, current_date)", connection);
        insert.Parameters.AddWithValue("id", messageId);
        insert.Parameters.AddWithValue("user", userId);
        await insert.ExecuteNonQueryAsync();
    }
}
