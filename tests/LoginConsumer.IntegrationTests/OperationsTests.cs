using System.Net;
using System.Text.RegularExpressions;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests;

/// <summary>The consumer's HTTP port as an operator and Prometheus see it: health, readiness and the metrics the alerts use.</summary>
public sealed partial class OperationsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private TestScope? _scope;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_scope is not null)
        {
            await _scope.DisposeAsync();
        }
    }

    [Fact]
    public async Task Run_WhileConsuming_IsLiveAndReadyAndExportsEveryMetricTheAlertsAndDashboardUse()
    {
        _scope = await TestScope.CreateAsync();
        var port = FreePort.Next();
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Sqs__ErrorQueuePollInterval"] = "00:00:01",
        });
        var capture = new OutputCapture(consumer);
        try
        {
            await _scope.SendAsync(NumberedLogins.Bodies("ops", 40));
            await _scope.SendOneAsync("""{"foo":"not a login"}""");
            await Poll.UntilAsync(async () => await _scope.RowCountAsync() == 40, TimeSpan.FromSeconds(60));

            var live = await GetAsync(port, "/health/live");
            Assert.Equal(HttpStatusCode.OK, live.Status);
            Assert.Contains("\"receive_loop\":{\"status\":\"Healthy\"", live.Body, StringComparison.Ordinal);

            var ready = await GetAsync(port, "/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.Status);

            // The image's HEALTHCHECK: the executable probes itself (no curl in the runtime image).
            var probe = await _scope.RunConsumerAsync(["probe", "live", "--url", $"http://127.0.0.1:{port}"]);
            Assert.True(probe.ExitCode == 0, probe.Output);
            var nothing = await _scope.RunConsumerAsync(["probe", "ready", "--url", $"http://127.0.0.1:{ClosedPort.Port}"]);
            Assert.Equal(1, nothing.ExitCode);
            Assert.Contains("\"database\":{\"status\":\"Healthy\"", ready.Body, StringComparison.Ordinal);
            Assert.Contains("\"queue\":{\"status\":\"Healthy\"", ready.Body, StringComparison.Ordinal);

            // The error-queue poller and the readiness publisher run on their own clocks: wait for their series.
            var metrics = await Poll.ForAsync(
                async () =>
                {
                    var body = (await GetAsync(port, "/metrics")).Body;
                    return body.Contains("loginconsumer_error_queue_depth{otel_scope_name=\"LoginConsumer\"} 1", StringComparison.Ordinal)
                        && body.Contains("loginconsumer_ready{", StringComparison.Ordinal) ? body : null;
                },
                TimeSpan.FromSeconds(30));

            var exported = ExportedNames(metrics);
            // The CloudWatch exporter's series, renamed by its PodMonitor (deploy/monitoring-cloudwatch), is not the service's.
            var used = UsedNames(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "monitoring", "prometheusrule.yaml")))
                .Concat(UsedNames(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "monitoring", "grafana-dashboard.json"))))
                .Where(name => name != "loginconsumer_error_queue_cloudwatch_oldest_age_seconds")
                .Distinct().Order().ToList();
            output.WriteLine($"used by alerts and dashboard: {string.Join(", ", used)}");
            Assert.True(used.Count >= 10, "the alerts and dashboard should use the service's metrics");
            Assert.All(used, name => Assert.Contains(name, exported));

            Assert.Contains("loginconsumer_messages_consumed_total{otel_scope_name=\"LoginConsumer\"} 40", metrics, StringComparison.Ordinal);

            // Probes and scrapes are not logged at Information (ASP.NET Core's default writes four lines for each).
            Assert.DoesNotContain("Microsoft.AspNetCore.Hosting.Diagnostics", capture.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("Microsoft.AspNetCore.Routing", capture.Text, StringComparison.Ordinal);
            Assert.Contains("loginconsumer_messages_poisoned_total{otel_scope_name=\"LoginConsumer\",reason=\"not_login_event\"} 1", metrics, StringComparison.Ordinal);
            Assert.Contains("loginconsumer_rows_inserted_total{otel_scope_name=\"LoginConsumer\"} 40", metrics, StringComparison.Ordinal);
            Assert.DoesNotContain("10.0.0.", metrics, StringComparison.Ordinal);

            // OpenTelemetry's messaging conventions beside the service's names, and the runtime's and Npgsql's meters.
            Assert.Matches(@"messaging_client_consumed_messages_total\{[^}]*messaging_destination_name=""" + _scope.QueueName + @"""[^}]*messaging_operation_name=""receive""[^}]*\} 41", metrics);
            Assert.Matches(@"messaging_process_duration_seconds_count\{[^}]*messaging_operation_name=""process""[^}]*\} 40\b", metrics);
            Assert.Matches(@"messaging_process_duration_seconds_count\{[^}]*error_type=""not_login_event""[^}]*\} 1\b", metrics);
            Assert.Contains("dotnet_gc_", metrics, StringComparison.Ordinal);
            Assert.Contains("otel_scope_name=\"Npgsql\"", metrics, StringComparison.Ordinal);
        }
        finally
        {
            await Signals.TerminateAsync(consumer);
            output.WriteLine((await capture.AllAsync())[^Math.Min(2000, capture.Text.Length)..]);
        }
    }

    [Fact]
    public async Task Run_AgainstAnUnmigratedDatabase_IsLiveButNotReadyAndSaysWhy()
    {
        _scope = await TestScope.CreateAsync(migrate: false);
        var port = FreePort.Next();
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });
        try
        {
            var ready = await Poll.ForAsync(async () => await TryGetAsync(port, "/health/ready"), TimeSpan.FromSeconds(30));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
            Assert.Contains("Migrations not applied", ready.Body, StringComparison.Ordinal);
            Assert.Contains("migrate", ready.Body, StringComparison.Ordinal);

            var live = await GetAsync(port, "/health/live");
            Assert.Equal(HttpStatusCode.OK, live.Status);
        }
        finally
        {
            await Signals.TerminateAsync(consumer);
        }
    }

    [Fact]
    public async Task Live_WhileEveryMessageIsStuck_TurnsUnhealthyAndRecoversWhenWorkMovesAgain()
    {
        _scope = await TestScope.CreateAsync();

        // Every INSERT waits on this lock, so the 20 messages in flight never settle and the receivers wait for room.
        await using var blocker = new Npgsql.NpgsqlConnection(_scope.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE user_logins IN EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        await _scope.SendAsync(NumberedLogins.Bodies("stuck", 20));
        var port = FreePort.Next();
        using var consumer = _scope.StartConsumer(["run"], new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Sqs__MaxInFlight"] = "20",
            ["Sqs__LoopStallAfter"] = "00:00:05",
        });
        try
        {
            var stuck = await Poll.ForAsync(
                async () => await TryGetAsync(port, "/health/live") is { Status: HttpStatusCode.ServiceUnavailable } r ? r : null,
                TimeSpan.FromSeconds(40));
            output.WriteLine(stuck.Body);
            Assert.Contains("made no progress", stuck.Body, StringComparison.Ordinal);
            Assert.Contains("loginconsumer_messages_in_flight{otel_scope_name=\"LoginConsumer\"} 20", (await GetAsync(port, "/metrics")).Body, StringComparison.Ordinal);

            await transaction.RollbackAsync();
            await Poll.UntilAsync(async () => await _scope.RowCountAsync() == 20, TimeSpan.FromSeconds(30));
            await Poll.UntilAsync(async () => (await GetAsync(port, "/health/live")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        }
        finally
        {
            await Signals.TerminateAsync(consumer);
        }
    }

    [Fact]
    public async Task Run_InAContainer_WritesJsonLinesAndEachLineAboutAMessageCarriesItsSqsMessageId()
    {
        _scope = await TestScope.CreateAsync();
        var ids = new List<string>();
        foreach (var body in NumberedLogins.Bodies("json", 3))
        {
            ids.Add(await _scope.SendOneAsync(body));
        }

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], new Dictionary<string, string?>
        {
            ["DOTNET_RUNNING_IN_CONTAINER"] = "true",
            ["Logging__LogLevel__LoginConsumer"] = "Debug",
        });

        Assert.True(run.ExitCode == 0, run.Output);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var parsed = lines.Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject()).ToList(); // throws on any line that is not JSON
        var consumed = parsed.Where(p => ((string?)p["Category"])?.EndsWith("SqsMessageHandler", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(3, consumed.Count);
        foreach (var line in consumed)
        {
            var scope = line["Scopes"]!.AsArray().Select(s => (string?)s!["SqsMessageId"]).OfType<string>().Single();
            Assert.Contains(scope, ids);
            Assert.Equal(scope, (string?)line["State"]!["MessageId"]);
        }
    }

    private static async Task<Response> GetAsync(int port, string path)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
        return new Response(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<Response?> TryGetAsync(int port, string path)
    {
        try
        {
            return await GetAsync(port, path);
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }

    private static HashSet<string> ExportedNames(string metrics) =>
        [.. metrics.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => SeriesName().Match(l).Value)];

    // Histogram queries use name_bucket / _sum / _count, which the exporter writes as series of their own.
    private static IEnumerable<string> UsedNames(string text) => MetricReference().Matches(text).Select(m => m.Value);

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SeriesName();

    [GeneratedRegex("loginconsumer_[a-z_]+")]
    private static partial Regex MetricReference();

    private sealed record Response(HttpStatusCode Status, string Body);
}
