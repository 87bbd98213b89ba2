using System.Diagnostics;
using System.Text.Json.Nodes;
using Amazon.SQS;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Deploy;

/// <summary>
/// `docker compose up` for real: the project's own docker-compose.yml and Dockerfile, unchanged, on a Docker engine with
/// the local stand-ins for the official images (tests/containers). What a new user does, and what an operator then
/// does with the stack.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ComposeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Project = "lc-compose-test";
    private const int SampleRows = 99;
    private const long DeploymentMemoryLimitBytes = 512L * 1024 * 1024;
    private static readonly string[] LongRunning = ["fauxqs", "postgres", "consumer"];
    private static readonly string[] OneShots = ["migrate", "send-sample"];

    private bool _passed;

    public async Task InitializeAsync() => await ComposeAsync(["down", "--volumes", "--remove-orphans"], TimeSpan.FromMinutes(2));

    public async Task DisposeAsync()
    {
        if (!_passed)
        {
            var logs = await ComposeAsync(["logs", "--no-color", "--tail", "60"], TimeSpan.FromMinutes(1));
            output.WriteLine("compose logs:\n" + logs.Output + logs.Errors);
        }

        await ComposeAsync(["down", "--volumes", "--remove-orphans"], TimeSpan.FromMinutes(2));
    }

    [ComposeFact]
    public async Task Up_TheRealComposeFileAndDockerfile_ProcessTheSampleKeepTheDataAndStopCleanly()
    {
        var clock = Stopwatch.StartNew();
        var up = await ComposeAsync(["up", "-d", "--build"], TimeSpan.FromMinutes(30));
        Assert.True(up.ExitCode == 0, up.Output + up.Errors);
        output.WriteLine($"up -d --build: {clock.Elapsed.TotalSeconds:F0} s");
        await WaitUntilSettledAsync(TimeSpan.FromMinutes(5));

        // 99 rows and the one malformed message in the error queue, with its reason.
        var summary = await SummaryAsync(expectedRows: SampleRows, TimeSpan.FromMinutes(2));
        Assert.Equal(1, (int)summary["error_queue_messages"]!);
        Assert.Equal("not_login_event", (string?)summary["error_queue_reasons"]![0]!["reason_code"]);

        // Npgsql's GSS encryption is off: nothing tries to load the Kerberos library the images do not have.
        var logs = await ComposeAsync(["logs", "--no-color"], TimeSpan.FromMinutes(1));
        Assert.DoesNotContain("libgssapi", logs.Output + logs.Errors, StringComparison.Ordinal);

        // An operator looks at the dead letter, again and again: it stays.
        var stats = JsonNode.Parse(await CliAsync("dlq", "stats", "-o", "json"))!;
        Assert.Equal(1, (int)stats["by_reason"]!["not_login_event"]!);
        await CliAsync("dlq", "peek", "-o", "json");
        await CliAsync("dlq", "stats");
        var after = JsonNode.Parse(await CliAsync("summary", "-o", "json"))!;
        Assert.Equal(SampleRows, (int)after["rows"]!);
        Assert.Equal(1, (int)after["error_queue_messages"]!);

        // The consumer: read-only root, within the Deployment's memory limit, ports on loopback only.
        var inspect = JsonNode.Parse(await DockerAsync("inspect", await ContainerIdAsync("consumer")))![0]!;
        Assert.True((bool)inspect["HostConfig"]!["ReadonlyRootfs"]!, "the consumer's root filesystem is writable");
        var memory = (long)inspect["HostConfig"]!["Memory"]!;
        Assert.InRange(memory, 1, DeploymentMemoryLimitBytes);
        foreach (var service in LongRunning)
        {
            var ports = JsonNode.Parse(await DockerAsync("inspect", await ContainerIdAsync(service)))![0]!["NetworkSettings"]!["Ports"]!.AsObject();
            foreach (var binding in ports.SelectMany(p => p.Value?.AsArray() ?? []))
            {
                Assert.Equal("127.0.0.1", (string?)binding!["HostIp"]);
            }
        }

        // A stop within the grace period, exit 0, nothing left in flight.
        var stopClock = Stopwatch.StartNew();
        var stop = await ComposeAsync(["stop", "consumer"], TimeSpan.FromMinutes(2));
        var stopped = stopClock.Elapsed;
        Assert.True(stop.ExitCode == 0, stop.Output + stop.Errors);
        var state = JsonNode.Parse(await DockerAsync("inspect", await ContainerIdAsync("consumer")))![0]!["State"]!;
        output.WriteLine($"stop consumer: {stopped.TotalSeconds:F1} s, exit {(int)state["ExitCode"]!}");
        Assert.Equal(0, (int)state["ExitCode"]!);
        Assert.False((bool)state["OOMKilled"]!, "the consumer went over its memory limit");
        Assert.True(stopped < TimeSpan.FromSeconds(40), $"the stop took {stopped.TotalSeconds:F1} s");

        // Nothing left in flight: login-queue, through the emulator's published port, holds nothing hidden or waiting.
        using (var sqs = TestScope.SqsClient("http://127.0.0.1:4566"))
        {
            var queue = (await sqs.GetQueueUrlAsync("login-queue")).QueueUrl;
            var counts = await sqs.GetQueueAttributesAsync(queue, [QueueAttributeName.ApproximateNumberOfMessages, QueueAttributeName.ApproximateNumberOfMessagesNotVisible]);
            Assert.Equal((0, 0), (counts.ApproximateNumberOfMessages, counts.ApproximateNumberOfMessagesNotVisible));
        }
        var stoppedSummary = JsonNode.Parse(await CliAsync("summary", "-o", "json"))!;
        Assert.Equal(SampleRows, (int)stoppedSummary["rows"]!);
        Assert.Equal(1, (int)stoppedSummary["error_queue_messages"]!);

        // down, then up: the rows are kept and nothing is sent again.
        var down = await ComposeAsync(["down"], TimeSpan.FromMinutes(2));
        Assert.True(down.ExitCode == 0, down.Output + down.Errors);
        var again = await ComposeAsync(["up", "-d"], TimeSpan.FromMinutes(5));
        Assert.True(again.ExitCode == 0, again.Output + again.Errors);
        await WaitUntilSettledAsync(TimeSpan.FromMinutes(5));
        var sendSample = await ComposeAsync(["logs", "--no-color", "send-sample"], TimeSpan.FromMinutes(1));
        Assert.Contains("Sent nothing", sendSample.Output, StringComparison.Ordinal);
        var kept = await SummaryAsync(expectedRows: SampleRows, TimeSpan.FromMinutes(1));
        Assert.Equal(SampleRows, (int)kept["rows"]!);
        _passed = true;
    }

    /// <summary>Every long-running service healthy and every one-shot exited 0, polled with a deadline.</summary>
    private static async Task WaitUntilSettledAsync(TimeSpan timeout)
    {
        var last = string.Empty;
        try
        {
            await Poll.UntilAsync(
                async () =>
                {
                    var ps = await ComposeAsync(["ps", "--all", "--format", "json"], TimeSpan.FromMinutes(1));
                    last = ps.Output;
                    var services = ps.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                        .Select(line => JsonNode.Parse(line)!)
                        .ToDictionary(s => (string)s["Service"]!, s => s);
                    return LongRunning.All(name => services.TryGetValue(name, out var s) && (string?)s["Health"] == "healthy")
                        && OneShots.All(name => services.TryGetValue(name, out var s) && (string?)s["State"] == "exited" && (int?)s["ExitCode"] == 0);
                },
                timeout,
                TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            Assert.Fail("the stack did not settle (healthy services, one-shots exited 0):\n" + last);
        }
    }

    private async Task<JsonNode> SummaryAsync(int expectedRows, TimeSpan timeout)
    {
        JsonNode? summary = null;
        await Poll.UntilAsync(
            async () =>
            {
                summary = JsonNode.Parse(await CliAsync("summary", "-o", "json"))!;
                return (int)summary["rows"]! == expectedRows;
            },
            timeout,
            TimeSpan.FromSeconds(2));
        return summary!;
    }

    private async Task<string> CliAsync(params string[] command)
    {
        var result = await ComposeAsync(["run", "--rm", "--no-deps", "cli", .. command], TimeSpan.FromMinutes(2));
        output.WriteLine($"cli {string.Join(' ', command)}: exit {result.ExitCode}\n{result.Output}{result.Errors}");
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        return result.Output;
    }

    private static async Task<string> ContainerIdAsync(string service)
    {
        var ps = await ComposeAsync(["ps", "--all", "-q", service], TimeSpan.FromMinutes(1));
        return ps.Output.Trim();
    }

    private static async Task<string> DockerAsync(params string[] args)
    {
        var result = await Tooling.RunAsync("docker", args, timeout: TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.Output + result.Errors);
        return result.Output;
    }

    private static Task<(int ExitCode, string Output, string Errors)> ComposeAsync(string[] args, TimeSpan timeout) =>
        Tooling.RunAsync("docker", ["compose", "-p", Project, .. args], RepoPaths.Root, timeout, new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" });
}
