using System.Text.RegularExpressions;
using LoginConsumer.IntegrationTests.Infrastructure;

namespace LoginConsumer.IntegrationTests;

public sealed class CommandLineTests : IAsyncLifetime
{
    private static readonly string[] Commands = ["run", "migrate", "send-sample", "summary"];

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Help_ListsEveryCommand()
    {
        var help = await _scope.RunConsumerAsync(["--help"]);

        Assert.Equal(0, help.ExitCode);
        Assert.All(Commands, c => Assert.Contains(c, help.Output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendSampleThenRunThenSummary_FixedSample_Stores99RowsAndReportsTheOneError()
    {
        var send = await _scope.RunConsumerAsync(["send-sample"]);
        Assert.True(send.ExitCode == 0, send.Output);
        Assert.Contains("Sent 100 messages", send.Output, StringComparison.Ordinal);

        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);
        var summary = await _scope.RunConsumerAsync(["summary"]);

        Assert.True(summary.ExitCode == 0, summary.Output);
        Assert.Contains("Rows in user_logins: 99", summary.Output, StringComparison.Ordinal);
        Assert.Contains("Messages in the error queue: 1", summary.Output, StringComparison.Ordinal);
        Assert.Contains("not_login_event", summary.Output, StringComparison.Ordinal);
        Assert.Contains("Masked ips seen more than once", summary.Output, StringComparison.Ordinal);

        // The same, for a script: stdout is one JSON document, and nothing else.
        var json = await _scope.RunConsumerAsync(["summary", "-o", "json"]);
        Assert.True(json.ExitCode == 0, json.Output);
        var document = System.Text.Json.Nodes.JsonNode.Parse(json.Output[..^json.Error.Length])!;
        Assert.Equal(99, (int)document["rows"]!);
        Assert.Equal(1, (int)document["error_queue_messages"]!);
        Assert.Equal("not_login_event", (string?)document["error_queue_reasons"]![0]!["reason_code"]);
        Assert.Equal(5, document["first_rows"]!.AsArray().Count);

        var stats = await _scope.RunConsumerAsync(["dlq", "stats", "-o", "json"]);
        Assert.True(stats.ExitCode == 0, stats.Output);
        var statsDocument = System.Text.Json.Nodes.JsonNode.Parse(stats.Output[..^stats.Error.Length])!;
        Assert.Equal(1, (int)statsDocument["by_reason"]!["not_login_event"]!);
    }

    [Fact]
    public async Task SendSample_IfEmpty_SendsOnceAndNothingWhileTheQueueOrTheTableHoldsData()
    {
        var first = await _scope.RunConsumerAsync(["send-sample", "--if-empty"]);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("Sent 100 messages", first.Output, StringComparison.Ordinal);

        // As `docker compose up` runs it again: the sample waits in the queue, then is stored.
        var waiting = await _scope.RunConsumerAsync(["send-sample", "--if-empty"]);
        Assert.True(waiting.ExitCode == 0, waiting.Output);
        Assert.Matches(@"Sent nothing: \S+ already holds 100 messages \(--if-empty\)\.", waiting.Output);
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);
        var stored = await _scope.RunConsumerAsync(["send-sample", "--if-empty"]);
        Assert.True(stored.ExitCode == 0, stored.Output);
        Assert.Contains("Sent nothing: user_logins already holds rows (--if-empty).", stored.Output, StringComparison.Ordinal);
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
        Assert.Equal(99, await _scope.RowCountAsync());
    }

    [Fact]
    public async Task SendSample_CountNotToATerminal_PrintsPlainProgressLinesAndTheTotal()
    {
        var send = await _scope.RunConsumerAsync(["send-sample", "--count", "300"]);

        Assert.True(send.ExitCode == 0, send.Output);
        var stdout = send.Output[..^send.Error.Length];
        Assert.Matches(@"(?m)^send-sample: 300 of 300 \(100%\), [\d,]+/s, done in ", stdout);
        Assert.DoesNotContain('\r', stdout);
        Assert.Contains("Sent 300 messages", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Summary_OneIpAndDeviceForThreeUsers_ShowsTheRowsAndEachMaskedValueOnceWithItsCount()
    {
        const string Body = """{"user_id":"u1","device_type":"ios","ip":"10.1.2.3","locale":"RU","device_id":"d-1","app_version":"2.3.0"}""";
        await _scope.SendAsync([Body, Body.Replace("u1", "u2", StringComparison.Ordinal), Body.Replace("u1", "u3", StringComparison.Ordinal)]);
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);

        var summary = await _scope.RunConsumerAsync(["summary"]);

        Assert.True(summary.ExitCode == 0, summary.Output);
        var output = summary.Output.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Contains("Rows in user_logins: 3", output, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(output, @"(?m)^  u[123] \| ios \| [\w-]+:\S+ \| [\w-]+:\S+ \| RU \| 2\.3\.0 \(2003000\) \| \d{4}-\d{2}-\d{2}$"));
        Assert.Matches(@"(?m)^Masked ips seen more than once \(top 5\):\n  [\w-]+:\S+ × 3\nMasked device ids seen more than once \(top 5\):\n  [\w-]+:\S+ × 3\n", output);
        Assert.DoesNotContain("10.1.2.3", output, StringComparison.Ordinal);
        Assert.DoesNotContain("d-1 ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendSample_Count_SendsThatManyGeneratedMessages()
    {
        var send = await _scope.RunConsumerAsync(["send-sample", "--count", "1234"]);

        Assert.True(send.ExitCode == 0, send.Output);
        Assert.Equal((1234, 0), await _scope.MainQueueCountsAsync());
    }
}
