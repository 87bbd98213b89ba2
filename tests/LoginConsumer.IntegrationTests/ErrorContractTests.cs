using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests;

/// <summary>
/// One error contract for every command, over the real executable: a missing setting, a setting that does not parse,
/// a malformed connection string, an unreachable dependency, refused credentials, a missing queue, a port in use and a
/// refusal each give exactly one <c>error:</c> and one <c>hint:</c> on stderr, the documented exit code, no stack
/// frame and no framework log line. SQS's AccessDenied is modelled by <see cref="SqsFront"/> (fauxqs accepts any
/// credentials): SQS answers an action IAM denies with HTTP 403 and the AccessDenied code.
/// </summary>
public sealed partial class ErrorContractTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string MissingQueue = "lc-no-such-queue";

    private TestScope _scope = null!;
    private SqsFront _front = null!;

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _front = await SqsFront.StartAsync(_scope.Services.SqsEndpoint);
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _scope.DisposeAsync();
    }

    private sealed record Case(string Command, string Situation, string[] Args, Dictionary<string, string?> Settings, int ExitCode, params string[] ErrorSays);

    [Fact]
    public async Task EveryCommand_InEverySituationThatAppliesToIt_GivesOneErrorOneHintItsExitCodeAndNoStackOrFrameworkLine()
    {
        using var listening = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listening.Listen();
        var takenPort = ((IPEndPoint)listening.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture);
        var closed = ClosedPort.Port.ToString(CultureInfo.InvariantCulture);
        var aes = new Dictionary<string, string?> { ["Masking__Algorithm"] = "AesGcmSiv" };
        _front.Deny("GetQueueUrl", on: true);
        _front.Deny("CreateQueue", on: true);

        var database = new (string Command, string[] Args, Dictionary<string, string?> Extra)[]
        {
            ("run", ["run"], new() { ["Startup__Timeout"] = "00:00:02" }),
            ("migrate", ["migrate"], new()),
            ("summary", ["summary"], new()),
            ("rekey", ["rekey"], aes),
        };
        var sqs = new (string Command, string[] Args, Dictionary<string, string?> Extra)[]
        {
            ("run", ["run", "--until-empty"], new() { ["Startup__Timeout"] = "00:00:02" }),
            ("send-sample", ["send-sample", "--count", "1"], new()),
            ("summary", ["summary"], new()),
            ("dlq stats", ["dlq", "stats"], new()),
            ("dlq peek", ["dlq", "peek"], new()),
            ("dlq redrive", ["dlq", "redrive"], new()),
            ("dlq purge", ["dlq", "purge", "-y"], new()),
        };

        var cases = new List<Case>();
        foreach (var (command, args, extra) in database)
        {
            cases.Add(new(command, "missing setting", args, With(extra, ("ConnectionStrings__LoginDb", ""), ("ConnectionStrings__LoginDbMigrations", null)), 3, "ConnectionStrings__LoginDb", "is not set"));
            cases.Add(new(command, "malformed connection string", args, With(extra, ("ConnectionStrings__LoginDb", "Hostx=db;Database=logins")), 3, "ConnectionStrings__LoginDb", "hostx"));
            cases.Add(new(command, "unreachable database", args, With(extra, ("ConnectionStrings__LoginDb", ClosedPort.DatabaseDown(2))), 4, "PostgreSQL", "127.0.0.1:" + closed));
            cases.Add(new(command, "refused credentials (database)", args, With(extra, ("ConnectionStrings__LoginDb", _scope.ConnectionString.Replace("Username=postgres", "Username=no_such_role", StringComparison.Ordinal))), 3, "PostgreSQL refused", "no_such_role"));
        }

        foreach (var (command, args, extra) in sqs)
        {
            cases.Add(new(command, "missing setting", args, With(extra, ("Sqs__QueueName", "")), 3, "Sqs:QueueName", "Sqs__QueueName"));
            cases.Add(new(command, "setting that does not parse", args, With(extra, ("Sqs__Receivers", "abc")), 3, "Sqs__Receivers", "'abc'", "a whole number"));
            cases.Add(new(command, "unreachable SQS", args, With(extra, ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:" + closed)), 4, "SQS", "127.0.0.1:" + closed));
            cases.Add(new(command, "refused credentials (SQS)", args, With(extra, ("AWS_ENDPOINT_URL_SQS", _front.Endpoint)), 3, "SQS refused", "AccessDenied"));
            cases.Add(new(command, "missing queue", args, With(extra, ("Sqs__QueueName", MissingQueue)), 3, MissingQueue));
        }

        foreach (var (command, args) in new (string, string[])[] { ("run", ["run", "--until-empty"]), ("rekey", ["rekey"]), ("dlq redrive", ["dlq", "redrive"]), ("unmask", ["unmask", "--field", "ip", "--value", "k:e:AAAA", "--reason", "T-1"]) })
        {
            cases.Add(new(command, "setting that does not parse", args, new() { ["Masking__Algorithm"] = "Sha1" }, 3, "Masking__Algorithm", "'Sha1'", "HmacSha256, AesGcmSiv"));
        }

        cases.Add(new("run", "port in use", ["run"], new() { ["ASPNETCORE_URLS"] = "http://127.0.0.1:" + takenPort }, 3, "127.0.0.1:" + takenPort, "address already in use"));
        cases.Add(new("migrate", "a duration that does not parse", ["migrate", "--wait", "soon"], new(), 2, "--wait", "90s, 2m"));
        cases.Add(new("dlq purge", "refusal", ["dlq", "purge"], new(), 2, "--yes was not given"));
        cases.Add(new("rekey", "refusal", ["rekey"], new(), 1, "rekey refused", "HmacSha256"));
        cases.Add(new("unmask", "refusal", ["unmask", "--field", "ip", "--value", "k:AAAA", "--reason", "T-1"], new(), 1, "unmask refused", "one-way"));
        cases.Add(new("unmask", "refusal (no reason)", ["unmask", "--field", "ip", "--value", "k:e:AAAA", "--reason", " "], aes, 2, "unmask refused", "--reason"));
        cases.Add(new("password-verifier", "refusal", ["password-verifier"], new(), 2, "no password"));
        cases.Add(new("probe", "refusal", ["probe", "--url", "not a url"], new(), 2, "not an absolute URL"));

        var failures = new List<string>();
        var table = new StringBuilder("| command | situation | exit | error |\n|---|---|---|---|\n");
        foreach (var item in cases)
        {
            var result = await _scope.RunConsumerAsync(item.Args, item.Settings, TimeSpan.FromSeconds(90));
            var problems = Problems(item, result).ToList();
            var errorLine = result.Error.Split('\n').FirstOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal)) ?? "(none)";
            table.Append(CultureInfo.InvariantCulture, $"| {item.Command} | {item.Situation} | {result.ExitCode} | {errorLine.Trim()} |\n");
            if (problems.Count > 0)
            {
                failures.Add($"{item.Command} / {item.Situation}: {string.Join("; ", problems)}\n--- output:\n{Tail(result.Output)}");
            }
        }

        output.WriteLine(table.ToString());
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private static IEnumerable<string> Problems(Case item, ProcessResult result)
    {
        if (result.ExitCode != item.ExitCode)
        {
            yield return $"exit {result.ExitCode}, expected {item.ExitCode}";
        }

        var errorLines = result.Error.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var errors = errorLines.Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        var hints = errorLines.Where(l => l.StartsWith("hint: ", StringComparison.Ordinal)).ToList();
        if (errors.Count != 1 || hints.Count != 1)
        {
            yield return $"{errors.Count} error: lines and {hints.Count} hint: lines on stderr, expected one of each";
        }

        // Besides them, stderr holds only an audit line (dlq redrive/purge, unmask).
        foreach (var line in errorLines.Where(l => l.Length > 0 && !l.StartsWith("error: ", StringComparison.Ordinal) && !l.StartsWith("hint: ", StringComparison.Ordinal) && !l.StartsWith("{\"event\":", StringComparison.Ordinal)))
        {
            yield return "stderr has more: " + line;
        }

        foreach (var says in item.ErrorSays.Where(s => !errors.Any(e => e.Contains(s, StringComparison.Ordinal))))
        {
            yield return $"the error does not say '{says}'";
        }

        if (StackFrame().IsMatch(result.Output))
        {
            yield return "a stack frame";
        }

        // No framework log line: none at all outside run, and for run (whose stdout is its log) none at warn or above.
        var framework = item.Command == "run" ? FrameworkProblem() : FrameworkAny();
        if (framework.Match(result.Output) is { Success: true } frameworkLine)
        {
            yield return "a framework log line: " + frameworkLine.Value;
        }
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> extra, params (string Key, string? Value)[] settings)
    {
        var all = new Dictionary<string, string?>(extra);
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return all;
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : text[^3000..];

    [GeneratedRegex(@"^\s+at \S+\(|--- End of stack trace|^\s*(System|Microsoft|Npgsql|Amazon)\.[\w.]+Exception: ", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    [GeneratedRegex(@"(trce|dbug|info|warn|fail|crit): (Microsoft|MassTransit|Npgsql|Amazon|System)[\w.]*\[", RegexOptions.Multiline)]
    private static partial Regex FrameworkAny();

    [GeneratedRegex(@"(warn|fail|crit): (Microsoft|MassTransit|Npgsql|Amazon|System)[\w.]*\[", RegexOptions.Multiline)]
    private static partial Regex FrameworkProblem();
}
