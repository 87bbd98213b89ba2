using System.Diagnostics;
using System.Net;
using LoginConsumer.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

/// <summary>
/// Dependencies that answer, and refuse: SQS denying DeleteMessage (IAM or a queue policy drifting; SQS answers
/// AccessDenied, modelled by <see cref="SqsFront"/>), and PostgreSQL taking reads while refusing writes (a database
/// left read-only after a failover answers INSERT with SQLSTATE 25006; here the real server with
/// default_transaction_read_only). Each pauses receiving, shows on readiness, burns no receive count, and once the
/// refusal ends every message is settled within seconds.
/// </summary>
public sealed class RefusalTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 5, maxReceiveCount: 3);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Run_DeletesDeniedForAWhile_PausesReceivingTurnsUnreadyAndDeadLettersNothing()
    {
        const int messages = 20;
        await using var front = await SqsFront.StartAsync(_scope.Services.SqsEndpoint);
        await using var run = new FaultRun(_scope, output);
        front.Deny("DeleteMessageBatch", on: true);
        front.Deny("DeleteMessage", on: true);
        await _scope.SendAsync(NumberedLogins.Bodies("denied", messages));
        run.Start(new Dictionary<string, string?>
        {
            ["AWS_ENDPOINT_URL_SQS"] = front.Endpoint,
            ["Sqs__VisibilityTimeoutSeconds"] = "5",
            ["Sqs__SettleStallAfter"] = "00:00:03",
        });

        var (status, body) = await PollReadyAsync(run, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        output.WriteLine("ready while deletes are denied: " + body);
        Assert.Contains("DeleteMessage", body, StringComparison.Ordinal);
        Assert.Contains("loginconsumer_settle_stalled 1", await MetricsAsync(run), StringComparison.Ordinal);

        // Three visibility timeouts with every delete denied: held, not received again, not dead-lettered.
        await Task.Delay(TimeSpan.FromSeconds(15));
        Assert.Equal(messages, await _scope.RowCountAsync());
        Assert.Equal((0, messages), await _scope.MainQueueCountsAsync());
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());

        front.Deny("DeleteMessageBatch", on: false);
        front.Deny("DeleteMessage", on: false);
        var allowed = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => (await _scope.MainQueueCountsAsync()) == (0, 0), TimeSpan.FromSeconds(60));
        output.WriteLine($"every message deleted {allowed.Elapsed.TotalSeconds:F1} s after deletes were allowed again");
        (status, _) = await PollReadyAsync(run, HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        var (exit, _) = await run.TerminateAsync(TimeSpan.FromSeconds(60));

        var figures = await run.FiguresAsync("DeleteMessage denied for 20 s", "denied", messages, exitCode: exit);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, figures.Redeliveries);
        FaultRun.AssertHeld(figures, messages);
    }

    [Fact]
    public async Task Run_DatabaseReadOnlyWhileLoginsArrive_HoldsThemWithoutSpendingReceivesAndStoresThemWithinSecondsOfWritesReturning()
    {
        const int messages = 300;
        await using var run = new FaultRun(_scope, output);
        await SetReadOnlyAsync(true);
        await _scope.SendAsync(NumberedLogins.Bodies("readonly", messages));
        run.Start(new Dictionary<string, string?> { ["Sqs__VisibilityTimeoutSeconds"] = "5" });

        var (_, body) = await PollReadyAsync(run, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30));
        output.WriteLine("ready while the database is read-only: " + body);
        await Task.Delay(TimeSpan.FromSeconds(20));
        Assert.Equal(0, await _scope.RowCountAsync());
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());

        await SetReadOnlyAsync(false);
        var writable = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() >= messages && (await _scope.MainQueueCountsAsync()) == (0, 0), TimeSpan.FromSeconds(60));
        var stored = writable.Elapsed;
        output.WriteLine($"all {messages} rows stored {stored.TotalSeconds:F1} s after the database took writes again");
        var (exit, _) = await run.TerminateAsync(TimeSpan.FromSeconds(60));

        var figures = await run.FiguresAsync("database read-only for 20 s", "readonly", messages, exitCode: exit, recovered: stored);
        Assert.Contains("refuses writes (SQLSTATE 25006", run.Log, StringComparison.Ordinal);
        Assert.True(stored < TimeSpan.FromSeconds(15), $"stored {stored.TotalSeconds:F1} s after writes returned");
        Assert.Equal(0, figures.Redeliveries);
        FaultRun.AssertHeld(figures, messages);
    }

    /// <summary>What a failover leaves: a server that answers reads and refuses writes. New sessions are read-only; open ones are ended.</summary>
    private async Task SetReadOnlyAsync(bool on)
    {
        await using var admin = new NpgsqlConnection(_scope.ConnectionString);
        await admin.OpenAsync();

        // This session itself starts read-only once the database is: it opts out before it changes the setting back.
        await using (var session = new NpgsqlCommand("SET default_transaction_read_only = off", admin))
        {
            await session.ExecuteNonQueryAsync();
        }

        await using (var alter = new NpgsqlCommand($"ALTER DATABASE {_scope.DatabaseName} SET default_transaction_read_only = {(on ? "on" : "off")}", admin))
        {
            await alter.ExecuteNonQueryAsync();
        }

        await using var end = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", admin);
        await end.ExecuteNonQueryAsync();
    }

    private static async Task<(HttpStatusCode Status, string Body)> PollReadyAsync(FaultRun run, HttpStatusCode wanted, TimeSpan timeout)
    {
        (HttpStatusCode, string) last = default;
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{run.HealthPort}/health/ready"));
                    last = (response.StatusCode, await response.Content.ReadAsStringAsync());
                    return response.StatusCode == wanted;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            },
            timeout,
            TimeSpan.FromMilliseconds(250));
        return last;
    }

    private static async Task<string> MetricsAsync(FaultRun run) => await Http.GetStringAsync(new Uri($"http://127.0.0.1:{run.HealthPort}/metrics"));
}
