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
    public async Task Run_ProductionWithoutMaskingKey_RefusesToStartAndNamesTheSetting()
    {
        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], new Dictionary<string, string?>
        {
            ["Masking__Keys__" + TestScope.KeyId] = null,
            ["Masking__ActiveKeyId"] = null,
        });

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Masking:Keys:<id>", run.Output, StringComparison.Ordinal);
        Assert.Empty(await _scope.RowsAsync());
    }

    [Fact]
    public async Task Run_WithoutConnectionString_RefusesToStartAndNamesTheSetting()
    {
        var run = await _scope.RunConsumerAsync(["run"], new Dictionary<string, string?> { ["ConnectionStrings__LoginDb"] = "" });

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("ConnectionStrings:LoginDb", run.Output, StringComparison.Ordinal);
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
