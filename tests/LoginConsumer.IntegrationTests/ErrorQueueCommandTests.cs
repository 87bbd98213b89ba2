using System.Text.Json.Nodes;
using Amazon.SQS.Model;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Masking;
using LoginConsumer.Sqs;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests;

/// <summary>`dlq stats|peek|redrive|purge` against the emulator, with messages dead-lettered the two real ways.</summary>
public sealed class ErrorQueueCommandTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int MaxReceiveCount = 2;
    private const string RawIp = "203.0.113.77";
    private const string RawDeviceId = "secret-device-4242";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(maxReceiveCount: MaxReceiveCount);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task StatsAndPeek_PoisonAndExhaustedMessages_CountByReasonShowMaskedFieldsAndRemoveNothing()
    {
        await _scope.SendOneAsync($$"""{"foo": "bar", "ip": "{{RawIp}}"}""");
        await _scope.SendOneAsync("""{"bar": 1}""");
        await _scope.SendOneAsync($$"""{"user_id": "u1", "ip": "999.1.1.1", "device_id": "{{RawDeviceId}}"}""");
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);
        var exhausted = await _scope.ExhaustAsync($$"""{"user_id": "u2", "ip": "{{RawIp}}", "device_id": "{{RawDeviceId}}"}""", MaxReceiveCount);

        var stats = await _scope.RunConsumerAsync(["dlq", "stats"]);
        output.WriteLine(stats.Output);
        Assert.True(stats.ExitCode == 0, stats.Output);
        Assert.Matches(@"not_login_event\s+2", stats.Output);
        Assert.Matches(@"invalid_ip\s+1", stats.Output);
        Assert.Matches(@"retries_exhausted\s+1", stats.Output);
        Assert.Contains("Oldest message: dead-lettered", stats.Output, StringComparison.Ordinal);

        var peek = await _scope.RunConsumerAsync(["dlq", "peek", "-n", "10", "--json"]);
        Assert.True(peek.ExitCode == 0, peek.Output);
        var entries = JsonNode.Parse(peek.Output[peek.Output.IndexOf('[', StringComparison.Ordinal)..])!.AsArray();
        Assert.Equal(4, entries.Count);
        var exhaustedEntry = entries.Single(e => (string?)e!["reason_code"] == LoginConsumer.Operations.ErrorQueueEntry.RetriesExhausted)!;
        Assert.Equal(exhausted, (string?)exhaustedEntry["original_message_id"]);
        Assert.Equal(TestScope.Masker.Mask(MaskedField.Ip, RawIp), (string?)exhaustedEntry["body"]!["ip"]);
        Assert.Equal(TestScope.Masker.Mask(MaskedField.DeviceId, RawDeviceId), (string?)exhaustedEntry["body"]!["device_id"]);
        Assert.Equal("u2", (string?)exhaustedEntry["body"]!["user_id"]);
        var poison = entries.First(e => (string?)e!["reason_code"] == "not_login_event")!;
        Assert.False(string.IsNullOrEmpty((string?)poison["reason"]));

        var text = await _scope.RunConsumerAsync(["dlq", "peek"]);
        Assert.True(text.ExitCode == 0, text.Output);
        foreach (var raw in new[] { RawIp, RawDeviceId })
        {
            Assert.DoesNotContain(raw, stats.Output + peek.Output + text.Output, StringComparison.Ordinal);
        }

        Assert.Equal(4, (await _scope.ReceiveAllErrorsAsync()).Count);
    }

    [Fact]
    public async Task Peek_WithoutTheMaskingKey_RedactsIpAndDeviceIdAndStillShowsWhy()
    {
        await _scope.SendOneAsync($$"""{"user_id": "u1", "ip": "999.1.1.1", "device_id": "{{RawDeviceId}}"}""");
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);

        // On call holds no masking key (production): peek still says why, and shows neither value.
        var noKey = new Dictionary<string, string?> { ["Masking__Keys__" + TestScope.KeyId] = null, ["Masking__ActiveKeyId"] = null };
        var peek = await _scope.RunConsumerAsync(["dlq", "peek", "-o", "json"], noKey);
        output.WriteLine(peek.Output);
        Assert.True(peek.ExitCode == 0, peek.Output);
        var entry = JsonNode.Parse(peek.Output[peek.Output.IndexOf('[', StringComparison.Ordinal)..])!.AsArray().Single()!;
        Assert.Equal("invalid_ip", (string?)entry["reason_code"]);
        Assert.Equal(LoginConsumer.Operations.ErrorQueueBodyView.Redacted, (string?)entry["body"]!["ip"]);
        Assert.Equal(LoginConsumer.Operations.ErrorQueueBodyView.Redacted, (string?)entry["body"]!["device_id"]);
        Assert.Equal("u1", (string?)entry["body"]!["user_id"]);
        var text = await _scope.RunConsumerAsync(["dlq", "peek"], noKey);
        Assert.Contains("redacted", text.Output, StringComparison.Ordinal);
        foreach (var raw in new[] { "999.1.1.1", RawDeviceId })
        {
            Assert.DoesNotContain(raw, peek.Output + text.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Redrive_IncludingACopySentBeforeACrash_StoresEveryMessageOnceUnderItsOriginalId()
    {
        var ids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add(await _scope.ExhaustAsync(NumberedLogins.Bodies("dlq", 12).ElementAt(i), MaxReceiveCount));
        }

        // A redrive that crashed after sending one message and before deleting it: the copy is in login-queue and
        // the original still in the error queue.
        // Like every redrive, it signed the original id and send time under the masking key.
        var crashed = (await _scope.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = _scope.ErrorQueueUrl,
            VisibilityTimeout = 0,
            MessageSystemAttributeNames = [SqsAttributes.SentTimestampName],
        })).Messages![0];
        await _scope.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = _scope.QueueUrl,
            MessageBody = crashed.Body,
            MessageAttributes = TestScope.Signer.Sign(crashed.MessageId, SqsAttributes.SentTimestamp(crashed)!.Value),
        });

        var partial = await _scope.RunConsumerAsync(["dlq", "redrive", "--max", "5", "--rate", "50"]);
        output.WriteLine(partial.Output);
        Assert.True(partial.ExitCode == 0, partial.Output);
        Assert.Contains("5 moved back to login-queue", partial.Output, StringComparison.Ordinal);

        var rest = await _scope.RunConsumerAsync(["dlq", "redrive"]);
        output.WriteLine(rest.Output);
        Assert.True(rest.ExitCode == 0, rest.Output);
        Assert.Contains("7 of 7 moved", rest.Output, StringComparison.Ordinal);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"]);
        Assert.True(run.ExitCode == 0, run.Output);
        var rows = await _scope.RowsAsync();
        NumberedLogins.AssertExactlyOnce(rows, "dlq", 12, output);
        Assert.Equal(ids.Order(), rows.Select(r => r.MessageId).Order());
    }

    [Fact]
    public async Task Redrive_WhileAConsumerSendsThePoisonStraightBack_StopsAfterWhatWasThereAtItsStart()
    {
        // The error-queue poller's peeks would hide a message for an instant from the redrive's count: off here.
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?> { ["Sqs__ErrorQueuePollInterval"] = "00:00:00" });
        _ = new OutputCapture(consumer);
        _ = consumer.StandardError.ReadToEndAsync();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                await _scope.SendOneAsync($$"""{"user_id": "p{{i}}", "ip": "not an address"}""");
            }

            await Poll.UntilAsync(async () => await ErrorDepthAsync() == 5 && (await _scope.MainQueueCountsAsync()) == (0, 0), TimeSpan.FromSeconds(60));

            // Every message it moves comes straight back to the error queue: only a redrive bounded by its start ends.
            var redrive = await _scope.RunConsumerAsync(["dlq", "redrive", "--rate", "2"], timeout: TimeSpan.FromSeconds(60));
            output.WriteLine(redrive.Output);

            Assert.True(redrive.ExitCode == 0, redrive.Output);
            Assert.Contains("5 moved back to login-queue", redrive.Output, StringComparison.Ordinal);
            await Poll.UntilAsync(async () => await ErrorDepthAsync() == 5, TimeSpan.FromSeconds(60));
            Assert.Empty(await _scope.RowsAsync());
        }
        finally
        {
            await Signals.TerminateAsync(consumer);
            await consumer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
        }
    }

    private async Task<long> ErrorDepthAsync()
    {
        var attributes = await _scope.Sqs.GetQueueAttributesAsync(
            _scope.ErrorQueueUrl, [Amazon.SQS.QueueAttributeName.ApproximateNumberOfMessages, Amazon.SQS.QueueAttributeName.ApproximateNumberOfMessagesNotVisible]);
        return attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
    }

    [Fact]
    public async Task Purge_WithoutYes_RefusesAndWithYes_EmptiesTheErrorQueue()
    {
        await _scope.ExhaustAsync("""{"user_id": "u3"}""", MaxReceiveCount);

        var refused = await _scope.RunConsumerAsync(["dlq", "purge"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.Output, StringComparison.Ordinal);
        Assert.Single(await _scope.ReceiveAllErrorsAsync());

        var purged = await _scope.RunConsumerAsync(["dlq", "purge", "--yes"]);
        Assert.True(purged.ExitCode == 0, purged.Output);
        await Poll.UntilAsync(async () => (await _scope.Sqs.GetQueueAttributesAsync(_scope.ErrorQueueUrl, [Amazon.SQS.QueueAttributeName.ApproximateNumberOfMessages])).ApproximateNumberOfMessages == 0, TimeSpan.FromSeconds(70));
    }

    [Fact]
    public async Task PeekRedriveAndPurge_ByReasonAndAge_ActOnlyOnWhatIsPickedAndWriteOneAuditLineEach()
    {
        await _scope.SendAsync(["""{"foo": 1}""", """{"foo": 2}""", """{"user_id": "a", "ip": "not an ip"}""", """{"user_id": "b", "ip": "300.1.1.1"}"""]);
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);

        // Two dead-lettered two days ago, as the consumer records it (the fault attributes).
        foreach (var (code, body) in new[] { ("invalid_ip", """{"user_id": "old", "ip": "x"}"""), ("not_login_event", "[]") })
        {
            await _scope.Sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = _scope.ErrorQueueUrl,
                MessageBody = body,
                MessageAttributes = new Dictionary<string, MessageAttributeValue>
                {
                    [ErrorQueueSender.ReasonCodeAttribute] = new() { DataType = "String", StringValue = code },
                    [ErrorQueueSender.ReasonAttribute] = new() { DataType = "String", StringValue = "test: dead-lettered long ago" },
                    [ErrorQueueSender.TimestampAttribute] = new() { DataType = "String", StringValue = DateTimeOffset.UtcNow.AddDays(-2).ToString("O", System.Globalization.CultureInfo.InvariantCulture) },
                },
            });
        }

        var byReason = await PeekAsync("--reason", "invalid_ip");
        Assert.Equal(3, byReason.Count);
        Assert.All(byReason, e => Assert.Equal("invalid_ip", (string?)e!["reason_code"]));
        var old = await PeekAsync("--older-than", "1d");
        Assert.Equal(["invalid_ip", "not_login_event"], old.Select(e => (string)e!["reason_code"]!).Order());
        Assert.Equal(6, (await PeekAsync("--reason", "invalid_ip", "--reason", "not_login_event", "-n", "100")).Count);

        var dryRun = await _scope.RunConsumerAsync(["dlq", "redrive", "--reason", "invalid_ip", "--older-than", "1d", "--dry-run"]);
        output.WriteLine(dryRun.Output);
        Assert.True(dryRun.ExitCode == 0, dryRun.Output);
        Assert.Contains("would move 1 ", dryRun.Output, StringComparison.Ordinal);
        var dryAudit = AuditLine(dryRun, "dlq_redrive");
        Assert.True((bool)dryAudit["dry_run"]!);
        Assert.Equal(1, (int)dryAudit["moved_by_reason"]!["invalid_ip"]!);
        Assert.Equal(5, (int)dryAudit["left"]!);
        Assert.Equal(86400, (double)dryAudit["filters"]!["older_than_seconds"]!);
        Assert.Equal(6, await ErrorDepthAsync());

        var redrive = await _scope.RunConsumerAsync(["dlq", "redrive", "--reason", "invalid_ip"]);
        output.WriteLine(redrive.Output);
        Assert.True(redrive.ExitCode == 0, redrive.Output);
        var audit = AuditLine(redrive, "dlq_redrive");
        Assert.False((bool)audit["dry_run"]!);
        Assert.Equal(3, (int)audit["moved"]!);
        Assert.Equal("""{"invalid_ip":3}""", audit["moved_by_reason"]!.ToJsonString());
        Assert.Equal("""{"not_login_event":3}""", audit["left_by_reason"]!.ToJsonString());
        Assert.Equal(["invalid_ip"], audit["filters"]!["reasons"]!.AsArray().Select(r => (string)r!));
        Assert.False(string.IsNullOrEmpty((string?)audit["os_user"]));
        Assert.Equal((3, 0), await _scope.MainQueueCountsAsync());
        Assert.Equal(3, await ErrorDepthAsync());

        var refused = await _scope.RunConsumerAsync(["dlq", "purge", "--reason", "not_login_event"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Single(refused.Error.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Single(refused.Error.Split('\n'), l => l.StartsWith("hint: ", StringComparison.Ordinal));

        var purge = await _scope.RunConsumerAsync(["dlq", "purge", "--reason", "not_login_event", "--older-than", "1d", "-y"]);
        output.WriteLine(purge.Output);
        Assert.True(purge.ExitCode == 0, purge.Output);
        var purgeAudit = AuditLine(purge, "dlq_purge");
        Assert.Equal("""{"not_login_event":1}""", purgeAudit["purged_by_reason"]!.ToJsonString());
        Assert.Equal(2, (int)purgeAudit["left"]!);
        Assert.Equal(2, await ErrorDepthAsync());

        var purgeDry = await _scope.RunConsumerAsync(["dlq", "purge", "--dry-run"]);
        Assert.True(purgeDry.ExitCode == 0, purgeDry.Output);
        Assert.Equal(2, (int)AuditLine(purgeDry, "dlq_purge")["purged"]!);
        Assert.Equal(2, await ErrorDepthAsync());
    }

    [Fact]
    public async Task Redrive_AReasonCodeThatCannotBeOne_IsAUsageErrorNamingTheOption()
    {
        var wrong = await _scope.RunConsumerAsync(["dlq", "redrive", "--reason", "Invalid IP"]);
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("error: --reason: 'Invalid IP' is not a reason code", wrong.Error, StringComparison.Ordinal);
    }

    private async Task<JsonArray> PeekAsync(params string[] filter)
    {
        var peek = await _scope.RunConsumerAsync(["dlq", "peek", "-o", "json", .. filter]);
        Assert.True(peek.ExitCode == 0, peek.Output);
        return JsonNode.Parse(peek.Output[peek.Output.IndexOf('[', StringComparison.Ordinal)..])!.AsArray();
    }

    private static JsonObject AuditLine(ProcessResult result, string action)
    {
        var lines = result.Error.Split('\n').Where(l => l.StartsWith("{\"event\":\"" + action + "\"", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, result.Output);
        return JsonNode.Parse(lines[0])!.AsObject();
    }
}
