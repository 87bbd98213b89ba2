using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Deploy;

/// <summary>
/// deploy/monitoring with the real tools: promtool checks and unit-tests the alert rules, and a real Prometheus scrapes
/// a consumer under load with the rules loaded, asked every dashboard query and every alert expression.
/// </summary>
public sealed partial class MonitoringTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static string Monitoring => Path.Combine(RepoPaths.Root, "deploy", "monitoring");

    [Fact]
    public async Task Rules_PassPromtoolsCheckAndItsUnitTests_WhichCoverEveryAlertFiringAndNotFiring()
    {
        var directory = await RulesDirectoryAsync();
        try
        {
            var check = await Tooling.RunAsync("promtool", ["check", "rules", "loginconsumer.rules.yaml"], directory);
            output.WriteLine(check.Output + check.Errors);
            Assert.True(check.ExitCode == 0, check.Output + check.Errors);

            var test = await Tooling.RunAsync("promtool", ["test", "rules", "alerts.test.yaml"], directory);
            output.WriteLine(test.Output + test.Errors);
            Assert.True(test.ExitCode == 0, test.Output + test.Errors);
            Assert.Contains("SUCCESS", test.Output, StringComparison.Ordinal);

            // Every alert has a case where it fires and one where it does not.
            var alerts = (await RulesIn(directory)).Select(r => (string?)r["alert"]).OfType<string>().ToList();
            var cases = (await Tooling.ManifestsAsync("json", Path.Combine(directory, "alerts.test.yaml")))[0]!["tests"]!.AsArray()
                .SelectMany(t => t!["alert_rule_test"]?.AsArray() ?? [])
                .Select(c => (Alert: (string)c!["alertname"]!, Fires: c["exp_alerts"]!.AsArray().Count > 0))
                .ToList();
            Assert.Equal(8, alerts.Count);
            foreach (var alert in alerts)
            {
                Assert.True(cases.Contains((alert, true)), $"no promtool case where {alert} fires");
                Assert.True(cases.Contains((alert, false)), $"no promtool case where {alert} stays quiet");
            }

            // The unit tests pin what matters: queue-level gauges taken with max. Summed over replicas, they fail.
            var rules = Path.Combine(directory, "loginconsumer.rules.yaml");
            var text = await File.ReadAllTextAsync(rules);
            var summedText = text.Replace("max by (namespace) (loginconsumer_", "sum by (namespace) (loginconsumer_", StringComparison.Ordinal);
            Assert.NotEqual(text, summedText);
            await File.WriteAllTextAsync(rules, summedText);
            var summed = await Tooling.RunAsync("promtool", ["test", "rules", "alerts.test.yaml"], directory);
            Assert.NotEqual(0, summed.ExitCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Prometheus_ScrapingAConsumerUnderLoad_AnswersEveryDashboardQueryAndAlertExpression()
    {
        var directory = await RulesDirectoryAsync();
        await using var scope = await TestScope.CreateAsync();
        var consumerPort = FreePort.Next();
        using var consumer = scope.StartConsumer(["run"], new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{consumerPort}",
            ["Sqs__ErrorQueuePollInterval"] = "00:00:01",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "container.image.name=registry.example/loginconsumer:1.2.3", // as the Kubernetes overlays set it
        });
        var consumerLog = new OutputCapture(consumer);

        var prometheusPort = FreePort.Next();
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - loginconsumer.rules.yaml
            scrape_configs:
              - job_name: loginconsumer
                static_configs:
                  - targets: ["127.0.0.1:{consumerPort}"]
            """);
        using var prometheus = Process.Start(new ProcessStartInfo("prometheus")
        {
            ArgumentList =
            {
                "--config.file=" + Path.Combine(directory, "prometheus.yml"),
                "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                "--web.listen-address=127.0.0.1:" + prometheusPort.ToString(CultureInfo.InvariantCulture),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var prometheusOutput = prometheus.StandardOutput.ReadToEndAsync();
        var prometheusLog = prometheus.StandardError.ReadToEndAsync(); // Prometheus logs to stderr; read so it never blocks
        var failed = true;
        var api = $"http://127.0.0.1:{prometheusPort}/api/v1/";

        using var load = new CancellationTokenSource();
        var sending = SendUnderLoadAsync(scope, load.Token);
        var queries = DashboardQueries().Select(q => (What: "dashboard", Query: q))
            .Concat((await RulesIn(directory)).Where(r => r["alert"] is not null).SelectMany(r => AlertOperands((string)r["expr"]!).Select(q => (What: "alert " + (string)r["alert"]!, Query: q))))
            .Where(q => !q.Query.Contains("kube_", StringComparison.Ordinal)) // kube-state-metrics' series: no cluster here, promtool's cases cover them
            .ToList();
        try
        {
            // The load runs until every query has answered with at least one series (rates need two scrapes of a change).
            var empty = queries;
            await Poll.UntilAsync(
                async () =>
                {
                    var still = new List<(string What, string Query)>();
                    foreach (var query in empty)
                    {
                        if (await SeriesAsync(api, query.Query) == 0)
                        {
                            still.Add(query);
                        }
                    }

                    empty = still;
                    return empty.Count == 0;
                },
                TimeSpan.FromSeconds(90),
                TimeSpan.FromSeconds(1));

            foreach (var query in queries)
            {
                output.WriteLine($"{query.What}: {query.Query} → {await SeriesAsync(api, query.Query)} series");
            }

            // The rules were evaluated without error, and the one whose condition the load makes true is pending:
            // the poison message is in the error queue (it fires after its 5 minutes).
            var rules = (await GetAsync(api + "rules"))["data"]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).ToList();
            Assert.Equal(9, rules.Count); // 8 alerts and the oldest-age recording rule
            Assert.All(rules, r => Assert.True((string?)r!["health"] == "ok", $"{r["name"]}: {r["health"]} {r["lastError"]}"));
            await Poll.UntilAsync(
                async () => (await GetAsync(api + "alerts"))["data"]!["alerts"]!.AsArray().Any(a => (string?)a!["labels"]!["alertname"] == "LoginConsumerErrorQueueNotEmpty" && (string?)a["state"] == "pending"),
                TimeSpan.FromSeconds(30));
            Assert.Equal(1, await SeriesAsync(api, "up{job=\"loginconsumer\"} == 1"));
            Assert.Equal(1, await SeriesAsync(api, "target_info{container_image_name=\"registry.example/loginconsumer:1.2.3\"}"));
            failed = false;
        }
        finally
        {
            await load.CancelAsync();
            await sending;
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            await Signals.TerminateAsync(consumer);
            if (failed)
            {
                var log = await prometheusLog + await prometheusOutput;
                output.WriteLine("consumer: " + consumerLog.Text[^Math.Min(3000, consumerLog.Text.Length)..]);
                output.WriteLine("prometheus: " + log[^Math.Min(3000, log.Length)..]);
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// The quantities an alert compares: the expression split at its top-level and/or/unless, each side without its
    /// final comparison to a number, absent(x) read as x. Each must return series when the consumer runs; whether
    /// the comparisons fire at the right time is promtool's unit tests' part.
    /// </summary>
    internal static IEnumerable<string> AlertOperands(string expression)
    {
        foreach (var side in SplitTopLevel(expression.Trim()))
        {
            var operand = TrailingComparison().Replace(side.Trim(), string.Empty).Trim();
            var absent = Absent().Match(operand);
            yield return absent.Success ? absent.Groups[1].Value : operand;
        }
    }

    private static IEnumerable<string> SplitTopLevel(string expression)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            depth += expression[i] switch { '(' or '[' or '{' => 1, ')' or ']' or '}' => -1, _ => 0 };
            if (depth == 0 && Operator().Match(expression, i) is { Success: true, Index: var index } match && index == i)
            {
                yield return expression[start..i];
                start = i + match.Length;
                i = start - 1;
            }
        }

        yield return expression[start..];
    }

    private static async Task SendUnderLoadAsync(TestScope scope, CancellationToken cancellationToken)
    {
        await scope.SendOneAsync("""{"foo":"not a login"}""");
        for (var round = 0; !cancellationToken.IsCancellationRequested; round++)
        {
            await scope.SendAsync(NumberedLogins.Bodies("load" + round.ToString(CultureInfo.InvariantCulture), 200));
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<int> SeriesAsync(string api, string query)
    {
        var answer = await GetAsync(api + "query?query=" + Uri.EscapeDataString(query));
        Assert.True((string?)answer["status"] == "success", $"{query}: {answer["error"]}");
        return answer["data"]!["result"]!.AsArray().Count;
    }

    private static async Task<JsonNode> GetAsync(string url)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return JsonNode.Parse(await Http.GetStringAsync(url))!;
            }
            catch (HttpRequestException) when (attempt < 50)
            {
                await Task.Delay(200); // Prometheus still starting
            }
        }
    }

    private static List<string> DashboardQueries()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(Monitoring, "grafana-dashboard.json")))!;
        var queries = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]?.AsArray() ?? []).Select(t => (string)t!["expr"]!).ToList();
        Assert.True(queries.Count >= 10, "the dashboard's panels should have queries");

        // Every query is filtered by the namespace variable; asked as Grafana asks with "All" selected. Short rates use
        // Grafana's $__rate_interval (at least four scrapes), never a fixed minute that a 30 s scrape leaves thin;
        // here it is what Grafana would compute for this test's 1 s scrape.
        Assert.All(queries, q => Assert.Contains("{namespace=~\"$namespace\"}", q, StringComparison.Ordinal));
        Assert.All(queries, q => Assert.DoesNotContain("[1m]", q, StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("[$__rate_interval]", StringComparison.Ordinal));
        var all = (string)dashboard["templating"]!["list"]!.AsArray().Single(v => (string?)v!["name"] == "namespace")!["allValue"]!;
        return [.. queries.Select(q => q.Replace("$namespace", all, StringComparison.Ordinal).Replace("$__rate_interval", "4s", StringComparison.Ordinal))];
    }

    /// <summary>The rules of the rule file in <paramref name="directory"/> (from <see cref="RulesDirectoryAsync"/>).</summary>
    private static async Task<List<JsonNode>> RulesIn(string directory) =>
        [.. (await Tooling.ManifestsAsync("json", Path.Combine(directory, "loginconsumer.rules.yaml")))[0]!["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!)];

    /// <summary>A directory with the PrometheusRule's spec as loginconsumer.rules.yaml and promtool's unit tests beside it.</summary>
    private static async Task<string> RulesDirectoryAsync()
    {
        var (exitCode, rules, errors) = await Tooling.RunAsync(Tooling.Node, [Tooling.ManifestsScript, "rules", Path.Combine(Monitoring, "prometheusrule.yaml")]);
        Assert.True(exitCode == 0, errors);
        var directory = Path.Combine(Path.GetTempPath(), "loginconsumer-monitoring-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "loginconsumer.rules.yaml"), rules);
        File.Copy(Path.Combine(Monitoring, "tests", "alerts.test.yaml"), Path.Combine(directory, "alerts.test.yaml"));
        return directory;
    }

    [GeneratedRegex(@"\s*(==|!=|>=|<=|>|<)\s*(bool\s+)?-?[0-9.]+\s*$")]
    private static partial Regex TrailingComparison();

    [GeneratedRegex(@"^absent\((.*)\)$", RegexOptions.Singleline)]
    private static partial Regex Absent();

    [GeneratedRegex(@"\s(and|or|unless)\s")]
    private static partial Regex Operator();
}
