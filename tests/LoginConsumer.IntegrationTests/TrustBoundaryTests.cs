using System.Diagnostics;
using System.Text.Json;
using Amazon.SQS.Model;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Sqs;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests;

/// <summary>What a producer can set (body, message attributes) decides no row's key or date: only what the service signed does.</summary>
public sealed class TrustBoundaryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Run_TwoLoginsWithTheSameForgedOriginalMessageId_StoresBoth()
    {
        var bodies = NumberedLogins.Bodies("forged", 2).ToList();
        foreach (var body in bodies)
        {
            await _scope.Sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = _scope.QueueUrl,
                MessageBody = body,
                MessageAttributes = new() { [TransportAttributes.OriginalMessageIdName] = new() { DataType = "String", StringValue = "one-key-for-both" } },
            });
        }

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"]);

        Assert.True(run.ExitCode == 0, run.Output);
        NumberedLogins.AssertExactlyOnce(await _scope.RowsAsync(), "forged", 2, output);
        Assert.DoesNotContain(await _scope.RowsAsync(), r => r.MessageId == "one-key-for-both");
        Assert.Equal(2, CountOf(run.Output, "unsigned, wrongly signed or out of range"));
    }

    [Fact]
    public async Task Run_ForgedAndOutOfRangeSendTimes_AreIgnoredAndEachRowIsDatedByItsSend()
    {
        var forged = new[] { "0", "99999999999999999", "-1", "1e3", "1893456000000" }; // the last: 2030
        var bodies = NumberedLogins.Bodies("when", forged.Length).ToList();
        var before = DateTimeOffset.UtcNow;
        for (var i = 0; i < forged.Length; i++)
        {
            await _scope.Sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = _scope.QueueUrl,
                MessageBody = bodies[i],
                MessageAttributes = new() { [TransportAttributes.OriginalSentTimestampName] = new() { DataType = "String", StringValue = forged[i] } },
            });
        }

        var clock = Stopwatch.StartNew();
        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], timeout: TimeSpan.FromSeconds(60));
        var after = DateTimeOffset.UtcNow;
        output.WriteLine($"{forged.Length} messages with forged send times drained in {clock.Elapsed.TotalSeconds:F1} s");

        Assert.True(run.ExitCode == 0, run.Output);
        var rows = await _scope.RowsAsync();
        NumberedLogins.AssertExactlyOnce(rows, "when", forged.Length, output);
        Assert.All(rows, r => Assert.InRange(r.CreateDate!.Value, DateOnly.FromDateTime(before.UtcDateTime), DateOnly.FromDateTime(after.UtcDateTime)));
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
    }

    [Fact]
    public async Task DlqStatsAndPeek_AttributesOfAnyValue_NeverFail()
    {
        await _scope.Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = _scope.ErrorQueueUrl,
            MessageBody = """{"user_id": "x", "user_id": "y"}""",
            MessageAttributes = new()
            {
                [TransportAttributes.OriginalMessageIdName] = new() { DataType = "String", StringValue = new string('z', 300) },
                [TransportAttributes.OriginalSentTimestampName] = new() { DataType = "String", StringValue = "99999999999999999" },
                [ErrorQueueSender.TimestampAttribute] = new() { DataType = "String", StringValue = "yesterday" },
                [ErrorQueueSender.ReceiveCountAttribute] = new() { DataType = "String", StringValue = "-3" },
            },
        });

        var stats = await _scope.RunConsumerAsync(["dlq", "stats"]);
        var peek = await _scope.RunConsumerAsync(["dlq", "peek", "--json"]);

        Assert.True(stats.ExitCode == 0, stats.Output);
        Assert.True(peek.ExitCode == 0, peek.Output);
        Assert.Contains("(given more than once)", peek.Output, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string fragment) => text.Split('\n').Count(l => l.Contains(fragment, StringComparison.Ordinal));
}
