using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Amazon.SQS;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>
/// One consumer process whose connections to the SQS emulator and to PostgreSQL both go through a <see cref="FaultProxy"/>,
/// and the figures a fault test prints and judges: sent, rows, logins stored twice, error-queue messages with and without
/// a reason, redeliveries, exit code, seconds to recover.
/// </summary>
public sealed partial class FaultRun : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly TestScope _scope;
    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Process? _consumer;
    private OutputCapture? _log;
    private Task<string>? _stderr;

    public FaultRun(TestScope scope, ITestOutputHelper output)
    {
        _scope = scope;
        _output = output;
        Sqs = FaultProxy.ForUrl(scope.Services.SqsEndpoint);
        Postgres = new FaultProxy("127.0.0.1", scope.Services.PostgresPort);
        HealthPort = FreePort.Next();
    }

    public FaultProxy Sqs { get; }

    public FaultProxy Postgres { get; }

    public int HealthPort { get; }

    public Process Consumer => _consumer ?? throw new InvalidOperationException("Not started.");

    public string Log => _log?.Text ?? string.Empty;

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Starts <c>run</c> with both connections through the proxies; <paramref name="overrides"/> as in <see cref="TestScope.StartConsumer"/>.</summary>
    public void Start(IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AWS_ENDPOINT_URL_SQS"] = Sqs.HttpEndpoint,
            ["ConnectionStrings__LoginDb"] = PortRegex().Replace(_scope.ConnectionString, $"Port={Postgres.Port}") + ";Timeout=5",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{HealthPort}",
            ["Logging__LogLevel__LoginConsumer.Sqs.SqsMessageHandler"] = "Debug",
            ["Sqs__CallTimeout"] = "00:00:03",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        _consumer = _scope.StartConsumer(["run"], settings);
        _log = new OutputCapture(_consumer);
        _stderr = _consumer.StandardError.ReadToEndAsync();
    }

    /// <summary>/health/live's status code now, or null when the port does not answer.</summary>
    public async Task<HttpStatusCode?> LiveAsync()
    {
        try
        {
            using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{HealthPort}/health/live"));
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>SIGTERM, then the exit code and how long the exit took.</summary>
    public async Task<(int ExitCode, TimeSpan Took)> TerminateAsync(TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        await Signals.TerminateAsync(Consumer);
        try
        {
            await Consumer.WaitForExitAsync().WaitAsync(budget);
        }
        catch (TimeoutException)
        {
            Consumer.Kill(entireProcessTree: true);
            throw new TimeoutException($"The consumer did not exit within {budget} of SIGTERM:\n{Tail()}");
        }

        return (Consumer.ExitCode, clock.Elapsed);
    }

    /// <summary>Every figure of the run, printed; the caller asserts on them.</summary>
    public async Task<FaultFigures> FiguresAsync(string name, string prefix, int sent, int poisonSent = 0, int exitCode = 0, TimeSpan? recovered = null)
    {
        if (_log is not null && _consumer is { HasExited: true })
        {
            await _log.AllAsync();
        }

        var rows = await _scope.RowsAsync();
        var byLogin = rows.GroupBy(r => r.UserId ?? string.Empty).ToDictionary(g => g.Key, g => g.Count());
        var doubled = byLogin.Values.Sum(n => n - 1);
        var missing = Enumerable.Range(0, sent).Count(i => !byLogin.ContainsKey(NumberedLogins.UserId(prefix, i)));
        var errors = await _scope.ReceiveAllErrorsAsync();
        var withReason = errors.Count(e => e.MessageAttributes?.ContainsKey(LoginConsumer.Sqs.ErrorQueueSender.ReasonCodeAttribute) == true);

        // Error-queue messages beyond one per original message: a send whose answer was lost, sent again.
        var copies = errors.Count - errors.Select(e => e.MessageAttributes?.GetValueOrDefault(LoginConsumer.Sqs.ErrorQueueSender.OriginalMessageIdAttribute)?.StringValue ?? e.MessageId).Distinct().Count();
        var redeliveries = ReceiveCount().Matches(Log).Count(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 1);
        var (visible, hidden) = await _scope.MainQueueCountsAsync();
        var figures = new FaultFigures(sent + poisonSent, rows.Count, doubled, missing, withReason, errors.Count - withReason, copies, redeliveries, visible, hidden, exitCode, recovered);
        _output.WriteLine(
            $"{name}: sent {sent + poisonSent} ({poisonSent} poison), rows {rows.Count}, doubled {doubled}, missing {missing}, error queue {withReason} with a reason / {errors.Count - withReason} without "
            + $"({copies} second copies of one message), "
            + $"redeliveries {redeliveries}, left visible {visible} / hidden {hidden}, exit {exitCode}"
            + (recovered is { } r ? $", recovered {r.TotalSeconds:F1} s after the fault ended" : string.Empty)
            + $"; SQS proxy resets {Sqs.Resets}, PostgreSQL proxy resets {Postgres.Resets}");
        // For a message in the error queue more than once, everything the consumer said about it: a lost answer, a
        // failed delete or a redelivery each leave their own lines.
        if (copies > 0 && Log.Split('\n').FirstOrDefault(l => l.Contains("ReceiveMessage failed", StringComparison.Ordinal)) is { } failedReceive)
        {
            _output.WriteLine("  first failed receive: " + failedReceive[..Math.Min(2000, failedReceive.Length)]);
        }

        foreach (var copied in errors.GroupBy(e => e.MessageAttributes?.GetValueOrDefault(LoginConsumer.Sqs.ErrorQueueSender.OriginalMessageIdAttribute)?.StringValue ?? e.MessageId).Where(g => g.Count() > 1).Take(3))
        {
            _output.WriteLine($"  {copied.Key} is in the error queue {copied.Count()} times:");
            foreach (var line in Log.Split('\n').Where(l => l.Contains(copied.Key, StringComparison.Ordinal)))
            {
                _output.WriteLine("    consumer: " + line[..Math.Min(400, line.Length)]);
            }
        }

        return figures;
    }

    /// <summary>The pass criteria every fault test shares.</summary>
    public static void AssertHeld(FaultFigures figures, int expectedRows, int expectedPoison = 0)
    {
        Assert.Equal(0, figures.Doubled);
        Assert.Equal(0, figures.Missing);
        Assert.Equal(expectedRows, figures.Rows);
        Assert.Equal(expectedPoison, figures.ErrorsWithReason);
        Assert.Equal(0, figures.ErrorsWithoutReason);
        Assert.Equal(0, figures.LeftVisible);
        Assert.Equal(0, figures.LeftHidden);
        Assert.Equal(0, figures.ExitCode);
    }

    public string Tail() => string.Join('\n', Log.Split('\n').TakeLast(40));

    public async ValueTask DisposeAsync()
    {
        if (_consumer is { HasExited: false })
        {
            _consumer.Kill(entireProcessTree: true);
            await _consumer.WaitForExitAsync();
        }

        _consumer?.Dispose();
        if (_stderr is not null)
        {
            await _stderr;
        }

        await Sqs.DisposeAsync();
        await Postgres.DisposeAsync();
    }

    /// <summary>An SQS client through the SQS proxy, for a test that must see what the consumer sees.</summary>
    public AmazonSQSClient SqsThroughProxy() => TestScope.SqsClient(Sqs.HttpEndpoint);

    [GeneratedRegex(@"Port=\d+")]
    private static partial Regex PortRegex();

    [GeneratedRegex(@"\(receive (\d+)\)")]
    private static partial Regex ReceiveCount();
}

public sealed record FaultFigures(
    int Sent,
    int Rows,
    int Doubled,
    int Missing,
    int ErrorsWithReason,
    int ErrorsWithoutReason,
    int ErrorCopies,
    int Redeliveries,
    int LeftVisible,
    int LeftHidden,
    int ExitCode,
    TimeSpan? Recovered);
