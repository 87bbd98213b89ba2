using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using LoginConsumer.Persistence;
using LoginConsumer.Sample;
using LoginConsumer.Sqs;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Deploy;

/// <summary>The Dockerfile and docker-compose.yml, checked without a Docker engine.</summary>
[Collection(RunsAlone.Name)]
public sealed partial class ContainerTests(ITestOutputHelper output)
{
    private static readonly string[] AppServices = ["migrate", "send-sample", "consumer", "cli"];

    private static string ComposeFile => Path.Combine(RepoPaths.Root, "docker-compose.yml");

    [Fact]
    public async Task Dockerfile_PublishCommand_BuildsAnEntryPointThatMigratesStoresTheSampleAndReports()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "Dockerfile"));
        var publish = PublishLine().Matches(dockerfile).Select(m => m.Groups[1].Value.Trim()).Single();
        output.WriteLine("Dockerfile: " + publish);
        Assert.Matches(@"-o /app$", publish);

        var target = Path.Combine(Path.GetTempPath(), "loginconsumer-publish-" + Guid.NewGuid().ToString("N"));
        var args = publish.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList(); // after "dotnet"
        args[^1] = target;
        var published = await Tooling.RunAsync("dotnet", args, timeout: TimeSpan.FromMinutes(15)); // a native publish: 4-8 min on 2 cores
        Assert.True(published.ExitCode == 0, published.Output + published.Errors);

        // The rest of the suite starts the executable ./test.sh published (or, with --jit, the build output); this runs
        // what the image runs, by the Dockerfile's own publish line and ENTRYPOINT, against the emulator and an empty
        // database: the take-home sample ends as 99 rows and one error-queue message.
        var entryPoint = JsonSerializer.Deserialize<string[]>(EntryPointLine().Match(dockerfile).Groups[1].Value)!
            .Select(part => part.StartsWith("/app/", StringComparison.Ordinal) ? Path.Combine(target, part["/app/".Length..]) : part)
            .ToList();
        var help = await TestScope.RunProcessAsync(entryPoint, ["--help"], new Dictionary<string, string>(), TimeSpan.FromMinutes(1));
        output.WriteLine(help.Output);
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "run", "migrate", "send-sample", "dlq", "probe" })
        {
            Assert.Matches($@"(?m)^\s+{command}\b", help.Output);
        }

        await using (var scope = await TestScope.CreateAsync(migrate: false))
        {
            // Reversible masking, so that unmask and rekey can run too.
            var environment = scope.ConsumerEnvironment();
            environment["Masking__Algorithm"] = "AesGcmSiv";
            async Task<string> RunAsync(params string[] args)
            {
                var result = await TestScope.RunProcessAsync(entryPoint, args, environment, TimeSpan.FromMinutes(2));
                output.WriteLine($"$ {string.Join(' ', entryPoint.Concat(args))}: exit {result.ExitCode}\n{result.Output}");
                Assert.True(result.ExitCode == 0, result.Output);
                return result.Output;
            }

            await RunAsync("migrate");
            Assert.Contains("Sent 100 messages", await RunAsync("send-sample"), StringComparison.Ordinal);
            await RunAsync("run", "--until-empty");
            Assert.Equal(99, await scope.RowCountAsync());
            Assert.Contains("Rows in user_logins: 99", await RunAsync("summary"), StringComparison.Ordinal);
            Assert.Matches(@"(?m)^\s+not_login_event\s+1$", await RunAsync("dlq", "stats"));

            // unmask gives back the sample's own ip; rekey moves every row to a new key, after which it still does.
            var sent = SampleMessages.Fixed().Select(body => JsonNode.Parse(body)!).Where(n => n["user_id"] is not null)
                .ToDictionary(n => (string)n["user_id"]!, n => (string?)n["ip"]);
            var row = (await scope.RowsAsync()).First(r => r.MaskedIp is not null);
            Assert.Contains(sent[row.UserId!], Lines(await RunAsync("unmask", "--field", "ip", "--value", row.MaskedIp!, "--reason", "container test")));
            environment["Masking__Keys__k2"] = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
            environment["Masking__ActiveKeyId"] = "k2";
            Assert.Contains("0 still under other keys", await RunAsync("rekey"), StringComparison.Ordinal);
            var rekeyed = (await scope.RowsAsync()).Single(r => r.MessageId == row.MessageId);
            Assert.StartsWith("k2:e:", rekeyed.MaskedIp, StringComparison.Ordinal);
            Assert.Contains(sent[row.UserId!], Lines(await RunAsync("unmask", "--field", "ip", "--value", rekeyed.MaskedIp!, "--reason", "container test")));

            // As a service: ready by the image's own probe, and a clean exit on SIGTERM, as docker stop sends it.
            var port = FreePort.Next();
            using var service = TestScope.StartProcess(entryPoint, ["run"], new Dictionary<string, string>(environment) { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" });
            var capture = new OutputCapture(service);
            try
            {
                await Poll.UntilAsync(
                    async () => (await TestScope.RunProcessAsync(entryPoint, ["probe", "ready", "--url", $"http://127.0.0.1:{port}"], environment, TimeSpan.FromSeconds(30))).ExitCode == 0,
                    TimeSpan.FromSeconds(60),
                    TimeSpan.FromMilliseconds(500));
                await Signals.TerminateAsync(service);
                await service.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(service.ExitCode == 0, capture.Text);
            }
            finally
            {
                if (!service.HasExited)
                {
                    service.Kill(entireProcessTree: true); // a failed check must not leave a consumer running
                }
            }
        }

        Directory.Delete(target, recursive: true);
    }

    [Fact]
    public async Task Dockerfile_FinalStage_RunsTheNativeExecutableAsNonRootWithAHealthCheck()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "Dockerfile"));
        var stages = FromLine().Matches(dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, stages.Count);
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0.", stages[0], StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/runtime-deps:10.0.", stages[1], StringComparison.Ordinal); // a native executable: no SDK, no runtime
        var final = dockerfile[dockerfile.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        Assert.Contains("USER $APP_UID", final, StringComparison.Ordinal); // 1654 in .NET's images
        Assert.Matches(@"HEALTHCHECK[^\n]*(\\\n[^\n]*)*probe"", ""live""", final);
        Assert.Contains("COPY --from=build /app", final, StringComparison.Ordinal);
        Assert.Contains(@"ENTRYPOINT [""/app/LoginConsumer""]", final, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compose_ParsesAndSetsOnlyVariablesTheApplicationReads()
    {
        var compose = (await Tooling.ManifestsAsync("json", Path.Combine(RepoPaths.Root, "docker-compose.yml")))[0]!;
        var services = compose["services"]!.AsObject();
        var known = KnownSettings();
        foreach (var name in AppServices)
        {
            var environment = services[name]!["environment"]!.AsObject();
            Assert.NotEmpty(environment);
            foreach (var (variable, _) in environment)
            {
                Assert.True(IsRead(variable, known), $"{name} sets {variable}, which the application does not read");
            }
        }

        Assert.Equal("kibertoad/fauxqs:2.4.1", (string?)services["fauxqs"]!["image"]);
        Assert.Matches(@"^postgres:15\.\d+$", (string?)services["postgres"]!["image"]);
        Assert.Equal("service_completed_successfully", (string?)services["consumer"]!["depends_on"]!["migrate"]!["condition"]);
        Assert.Equal("service_healthy", (string?)services["consumer"]!["depends_on"]!["fauxqs"]!["condition"]);
        Assert.Equal("service_healthy", (string?)services["migrate"]!["depends_on"]!["postgres"]!["condition"]);
        Assert.Equal("service_completed_successfully", (string?)services["send-sample"]!["depends_on"]!["migrate"]!["condition"]);
        Assert.True((bool?)services["consumer"]!["read_only"]);

        // The only masking key in play is the service's built-in development key, accepted in Development only.
        Assert.Equal("Development", (string?)services["consumer"]!["environment"]!["DOTNET_ENVIRONMENT"]);
        Assert.DoesNotContain(services["consumer"]!["environment"]!.AsObject(), kv => kv.Key.StartsWith("Masking__Keys", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Compose_PassesDclintsSchemaAndRules()
    {
        var lint = await Dclint(ComposeFile);
        output.WriteLine(lint.Output + lint.Errors);
        Assert.True(lint.ExitCode == 0, lint.Output + lint.Errors);

        // It does check: a misspelt key fails the Compose Specification's schema.
        var misspelt = Path.Combine(Path.GetTempPath(), $"loginconsumer-compose-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(misspelt, (await File.ReadAllTextAsync(ComposeFile)).Replace("stop_grace_period:", "stop_grace_periods:", StringComparison.Ordinal));
        try
        {
            var bad = await Dclint(misspelt);
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("invalid-schema", bad.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(misspelt);
        }

        static Task<(int ExitCode, string Output, string Errors)> Dclint(string file) => Tooling.RunAsync(
            Tooling.Node,
            [Path.Combine(RepoPaths.Root, "scripts", "node_modules", "dclint", "bin", "dclint.cjs"), "--color", "false", "-c", Path.Combine(RepoPaths.Root, "scripts", "dclint.json"), "--max-warnings", "0", file]);
    }

    [Fact]
    public async Task Compose_KeepsItsDataSendsTheSampleOnceBindsLoopbackAndStopsWithinTheShutdownBudget()
    {
        var compose = (await Tooling.ManifestsAsync("json", ComposeFile))[0]!;
        var services = compose["services"]!.AsObject();
        var volumes = compose["volumes"]!.AsObject();

        // Published ports on loopback only.
        foreach (var (name, service) in services)
        {
            foreach (var port in service!["ports"]?.AsArray() ?? [])
            {
                Assert.StartsWith("127.0.0.1:", (string?)port, StringComparison.Ordinal);
            }
        }

        // PostgreSQL's data on a named volume: `down` and `up` keep the rows. The emulator runs without its persistence,
        // which drops a message whose visibility is set to 0 (what every look at the error queue does).
        Assert.Contains("pgdata:/var/lib/postgresql/data", Mounts(services["postgres"]!));
        Assert.Null(services["fauxqs"]!["environment"]!["FAUXQS_PERSISTENCE"]);
        Assert.True(volumes.ContainsKey("pgdata"));

        // PostgreSQL counts as healthy only once it answers on TCP (not during its socket-only initialisation), and
        // migrate waits for it anyway.
        Assert.Contains("-h 127.0.0.1", string.Join(' ', services["postgres"]!["healthcheck"]!["test"]!.AsArray().Select(t => (string?)t)), StringComparison.Ordinal);
        Assert.Contains("--wait", services["migrate"]!["command"]!.AsArray().Select(c => (string?)c));

        // Long-running services say themselves when they are healthy; one-shots have nothing to check.
        foreach (var name in new[] { "fauxqs", "postgres", "consumer" })
        {
            var test = services[name]!["healthcheck"]?["test"]?.AsArray();
            Assert.True(test is { Count: > 1 } && (bool?)services[name]!["healthcheck"]!["disable"] != true, $"{name} has no health check of its own");
        }

        Assert.Equal(["CMD", "/app/LoginConsumer", "probe", "ready"], services["consumer"]!["healthcheck"]!["test"]!.AsArray().Select(t => (string)t!));
        foreach (var name in new[] { "migrate", "send-sample", "cli" })
        {
            Assert.True((bool?)services[name]!["healthcheck"]?["disable"], $"{name} runs once: its image's health check does not apply");
        }

        // Docker's stop waits longer than the service's own shutdown budget before it kills.
        var consumer = services["consumer"]!;
        var budget = TimeSpan.Parse((string)consumer["environment"]!["HostOptions__ShutdownTimeout"]!, CultureInfo.InvariantCulture);
        var grace = DockerDuration().Match((string)consumer["stop_grace_period"]!);
        Assert.True(grace.Success);
        Assert.True(TimeSpan.FromSeconds(int.Parse(grace.Groups[1].Value, CultureInfo.InvariantCulture)) > budget, $"stop_grace_period {consumer["stop_grace_period"]} must exceed {budget}");

        // The sample is sent on the first `up` only; the CLI starts only when asked for; everything else starts with `up`.
        Assert.Contains("--if-empty", services["send-sample"]!["command"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(["cli"], services["cli"]!["profiles"]!.AsArray().Select(p => (string)p!));
        Assert.All(services.Where(s => s.Key != "cli"), s => Assert.Null(s.Value!["profiles"]));

        // Every command the file runs is one the executable accepts.
        var root = LoginConsumer.Commands.LoginConsumerCommands.Create();
        foreach (var name in AppServices)
        {
            var args = services[name]!["command"]!.AsArray().Select(c => (string)c!).ToArray();
            var errors = root.Parse(args).Errors;
            Assert.True(errors.Count == 0, $"{name}: {string.Join(' ', args)}: {string.Join("; ", errors.Select(e => e.Message))}");
        }
    }

    [Fact]
    public async Task ComposeInitScript_IsTheOriginalDdl()
    {
        var init = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "compose", "initdb", "01-user_logins.sql"));
        var baseline = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(RepoPaths.Root, "src", "LoginConsumer", "Persistence", "Migrations"), "*_Baseline.cs").Single());
        var original = CreateTable().Match(baseline).Value.Replace("IF NOT EXISTS ", string.Empty, StringComparison.Ordinal);
        Assert.Equal(Normalize(original), Normalize(string.Join('\n', init.Split('\n').Where(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal)))));
    }

    private static IEnumerable<string> Lines(string output) => output.Split('\n').Select(l => l.Trim());

    private static string Normalize(string sql) => Whitespace().Replace(sql, " ").Replace("( ", "(", StringComparison.Ordinal).Replace(" )", ")", StringComparison.Ordinal).Trim();

    /// <summary>Configuration keys the service binds (from its option classes) and the platform variables it honours.</summary>
    private static HashSet<string> KnownSettings()
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "DOTNET_ENVIRONMENT", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "DOTNET_RUNNING_IN_CONTAINER", "DOTNET_GCHeapHardLimitPercent", "PGPASSWORD",
            "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "ConnectionStrings__LoginDb", "ConnectionStrings__LoginDbMigrations", "Migrations__RuntimeRole",
        };
        foreach (var (section, type) in new (string, Type)[]
        {
            (SqsOptions.SectionName, typeof(SqsOptions)),
            (ConsumerOptions.SectionName, typeof(ConsumerOptions)),
            (BatchWriterOptions.SectionName, typeof(BatchWriterOptions)),
            (MaskingOptions.SectionName, typeof(MaskingOptions)),
            (LoginConsumer.Telemetry.TelemetryOptions.SectionName, typeof(LoginConsumer.Telemetry.TelemetryOptions)),
            ("HostOptions", typeof(Microsoft.Extensions.Hosting.HostOptions)),
        })
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                keys.Add(section + "__" + property.Name);
            }
        }

        return keys;
    }

    private static bool IsRead(string variable, HashSet<string> known) =>
        known.Contains(variable)
        || variable.StartsWith("Masking__Keys__", StringComparison.Ordinal)
        || variable.StartsWith("Logging__", StringComparison.Ordinal)
        || variable.StartsWith("OTEL_", StringComparison.Ordinal);

    [GeneratedRegex(@"(?m)^RUN (dotnet publish [^\n]+)$")]
    private static partial Regex PublishLine();

    [GeneratedRegex(@"(?m)^ENTRYPOINT (\[[^\n]+\])$")]
    private static partial Regex EntryPointLine();

    [GeneratedRegex(@"(?m)^FROM (\S+)")]
    private static partial Regex FromLine();

    [GeneratedRegex(@"CREATE TABLE[^;]+;")]
    private static partial Regex CreateTable();

    private static List<string> Mounts(JsonNode service) => [.. service["volumes"]!.AsArray().Select(v => (string)v!)];

    [GeneratedRegex(@"^(\d+)s$")]
    private static partial Regex DockerDuration();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
