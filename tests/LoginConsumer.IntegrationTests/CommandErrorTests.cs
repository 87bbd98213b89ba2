using System.Diagnostics;
using LoginConsumer.IntegrationTests.Infrastructure;

namespace LoginConsumer.IntegrationTests;

/// <summary>
/// What a user sees for each common mistake, from the real executable: one "error:" line naming the setting, the
/// option or the dependency, one "hint:" line, no stack trace unless --verbose, and the documented exit code.
/// </summary>
public sealed class CommandErrorTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(migrate: false);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Run_WithoutConnectionString_ExitsThreeNamingTheSettingWithoutAStackTrace()
    {
        var run = await _scope.RunConsumerAsync(["run"], new Dictionary<string, string?> { ["ConnectionStrings__LoginDb"] = "" });

        AssertOneLineError(run, 3, "ConnectionStrings:LoginDb");
    }

    [Fact]
    public async Task Run_ProductionWithoutMaskingKey_ExitsThreeNamingTheSetting()
    {
        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], new Dictionary<string, string?>
        {
            ["Masking__Keys__" + TestScope.KeyId] = null,
            ["Masking__ActiveKeyId"] = null,
        });

        AssertOneLineError(run, 3, "Masking:Keys:<id>");
    }

    [Fact]
    public async Task SendSample_WithoutAnyAwsRegion_ExitsThreeWithAHintAtAwsRegion()
    {
        var send = await _scope.RunConsumerAsync(["send-sample"], new Dictionary<string, string?>
        {
            ["AWS_REGION"] = null,
            ["AWS_DEFAULT_REGION"] = null,
            ["AWS_ENDPOINT_URL_SQS"] = null,
            ["AWS_ENDPOINT_URL"] = null,
            ["AWS_CONFIG_FILE"] = "/nonexistent",
        });

        AssertOneLineError(send, 3, "AWS_REGION");
    }

    [Fact]
    public async Task Migrate_DatabaseDown_ExitsFourAtOnceAndAfterItsWait()
    {
        var down = new Dictionary<string, string?> { ["ConnectionStrings__LoginDbMigrations"] = ClosedPort.DatabaseDown(timeoutSeconds: 1) };

        var once = await _scope.RunConsumerAsync(["migrate"], down);
        AssertOneLineError(once, 4, "--wait");

        var clock = Stopwatch.StartNew();
        var waited = await _scope.RunConsumerAsync(["migrate", "--wait", "00:00:03"], down);
        AssertOneLineError(waited, 4, "within 00:00:03");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"gave up after {clock.Elapsed}, before its wait");
    }

    [Fact]
    public async Task Run_SqsUnreachableAtStart_RetriesForTheStartupTimeoutThenExitsFour()
    {
        var clock = Stopwatch.StartNew();
        var run = await _scope.RunConsumerAsync(["run"], new Dictionary<string, string?>
        {
            ["AWS_ENDPOINT_URL_SQS"] = $"http://127.0.0.1:{ClosedPort.Port}",
            ["Startup__Timeout"] = "00:00:03",
        });

        Assert.True(run.ExitCode == 4, run.Output);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"gave up after {clock.Elapsed}, before Startup:Timeout");
        Assert.Contains("SQS does not answer yet", run.Output, StringComparison.Ordinal);
        Assert.Contains("Could not find or create the SQS queues", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_QueueMissing_ExitsThreeAtOnceNamingTheQueue()
    {
        var clock = Stopwatch.StartNew();
        var run = await _scope.RunConsumerAsync(["run"], new Dictionary<string, string?>
        {
            ["Sqs__QueueName"] = _scope.QueueName + "-missing",
            ["Startup__Timeout"] = "00:01:00",
        });

        Assert.True(run.ExitCode == 3, run.Output);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}: a missing queue was retried like an outage");
        Assert.Contains($"SQS queue '{_scope.QueueName}-missing' does not exist", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dlq", "stats")]
    [InlineData("dlq", "peek")]
    [InlineData("dlq", "purge")]
    public async Task OperatorCommand_MisspeltQueueInDevelopment_ExitsThreeNamingItAndCreatesNothing(string command, string sub)
    {
        var misspelt = _scope.ErrorQueueName.Replace("_error", "_eror", StringComparison.Ordinal);
        var result = await _scope.RunConsumerAsync(sub == "purge" ? [command, sub, "--yes"] : [command, sub], new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Sqs__ErrorQueueName"] = misspelt,
        });

        AssertOneLineError(result, 3, $"SQS queue '{misspelt}' does not exist");
        await Assert.ThrowsAsync<Amazon.SQS.Model.QueueDoesNotExistException>(() => _scope.Sqs.GetQueueUrlAsync(misspelt));
    }

    [Fact]
    public async Task Run_DatabaseUnreachableAtStart_RetriesForTheStartupTimeoutThenExitsFour()
    {
        var clock = Stopwatch.StartNew();
        var run = await _scope.RunConsumerAsync(["run"], new Dictionary<string, string?>
        {
            ["ConnectionStrings__LoginDb"] = ClosedPort.DatabaseDown(timeoutSeconds: 1),
            ["Startup__Timeout"] = "00:00:03",
        });

        Assert.True(run.ExitCode == 4, run.Output);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"gave up after {clock.Elapsed}, before Startup:Timeout");
        Assert.Contains("PostgreSQL does not accept connections yet", run.Output, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL could not be used at start", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_TextAndJson_CarryAnIso8601UtcTimestamp()
    {
        var down = new Dictionary<string, string?> { ["ConnectionStrings__LoginDbMigrations"] = ClosedPort.DatabaseDown(timeoutSeconds: 1) };

        var text = await _scope.RunConsumerAsync(["migrate", "--wait", "00:00:01"], down);
        Assert.Matches(@"(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z warn: MigrateCommand\[4003\]", text.Error);

        down["DOTNET_RUNNING_IN_CONTAINER"] = "true";
        var json = await _scope.RunConsumerAsync(["migrate", "--wait", "00:00:01"], down);
        var line = json.Error.Split('\n').First(l => l.StartsWith('{'));
        var timestamp = (string?)System.Text.Json.Nodes.JsonNode.Parse(line)!["Timestamp"];
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", timestamp);
    }

    [Fact]
    public async Task Migrate_EmptyDatabase_SucceedsWithoutFailLines()
    {
        var migrate = await _scope.RunConsumerAsync(["migrate"]);

        Assert.True(migrate.ExitCode == 0, migrate.Output);
        Assert.Contains("Applied 2 migrations", migrate.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", migrate.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("send-sample --count abc", "--count", "a whole number")]
    [InlineData("no-such-command", "no-such-command", "")]
    public async Task CommandLine_Mistake_ExitsTwoNamingTheOption(string line, string named, string says) // the rest: CommandLineParsingTests
    {
        var result = await _scope.RunConsumerAsync(line.Split(' '));

        AssertOneLineError(result, 2, named);
        Assert.Contains(says, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verbose_AddsTheStackTrace()
    {
        var run = await _scope.RunConsumerAsync(["run", "--verbose"], new Dictionary<string, string?> { ["ConnectionStrings__LoginDb"] = "" });

        Assert.Equal(3, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("   at ", run.Error, StringComparison.Ordinal);
    }

    private static void AssertOneLineError(ProcessResult result, int exitCode, string named)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}, expected {exitCode}:\n{result.Output}");
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("hint: ", StringComparison.Ordinal));
        Assert.Contains(named, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.Output, StringComparison.Ordinal);
    }
}
