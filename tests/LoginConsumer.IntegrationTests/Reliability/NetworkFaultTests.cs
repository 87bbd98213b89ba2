using System.Diagnostics;
using System.Globalization;
using System.Net;
using LoginConsumer.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

/// <summary>
/// The fault matrix: the real consumer process with its connections to SQS and PostgreSQL through fault proxies, each
/// test one fault that production sees. All share the pass criteria of <see cref="FaultRun.AssertHeld"/>: every message
/// ends as exactly one row or one error-queue message with a reason, no good message in the error queue, nothing left
/// hidden, exit 0 on SIGTERM.
/// </summary>
public sealed class NetworkFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan ExitBudget = TimeSpan.FromSeconds(60);

    private TestScope _scope = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_scope is not null)
        {
            await _scope.DisposeAsync();
        }
    }

    [Fact]
    public async Task SqsBlip_WhileWorkOutlastsTheVisibilityTimeout_NothingLostDoubledOrFalselyDeadLettered()
    {
        const int messages = 300;
        _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 6);
        await using var run = new FaultRun(_scope, output);
        await using var blocker = await LockTableAsync();
        await _scope.SendAsync(NumberedLogins.Bodies("blip", messages));
        run.Start(new Dictionary<string, string?> { ["Sqs__VisibilityTimeoutSeconds"] = "6" });
        await Poll.UntilAsync(async () => (await _scope.MainQueueCountsAsync()).NotVisible == messages, TimeSpan.FromSeconds(60));

        // Every insert is held longer than the visibility timeout, with 5 s without SQS in the middle.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await run.Sqs.BlipAsync(TimeSpan.FromSeconds(5));
        var faultEnded = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(5));
        await blocker.DisposeAsync();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() >= messages && (await _scope.MainQueueCountsAsync()) == (0, 0), TimeSpan.FromSeconds(90));
        var recovered = faultEnded.Elapsed;
        var live = await run.LiveAsync();
        var (exit, _) = await run.TerminateAsync(ExitBudget);

        var figures = await run.FiguresAsync("SQS blip of 5 s, work held 12 s under a 6 s visibility timeout", "blip", messages, exitCode: exit, recovered: recovered);
        Assert.True(run.Sqs.Resets > 0, "the blip reset no connection");
        Assert.Equal(HttpStatusCode.OK, live);
        FaultRun.AssertHeld(figures, messages);
    }

    [Fact]
    public async Task SqsBlackHoled30Seconds_EveryCallTimesOutAndHeartbeatDeletesAndReceivesResume()
    {
        const int messages = 300;
        _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 10);
        await using var run = new FaultRun(_scope, output);
        await using var blocker = await LockTableAsync();
        await _scope.SendAsync(NumberedLogins.Bodies("hole", messages));
        run.Start(new Dictionary<string, string?> { ["Sqs__VisibilityTimeoutSeconds"] = "10" });
        await Poll.UntilAsync(async () => (await _scope.MainQueueCountsAsync()).NotVisible == messages, TimeSpan.FromSeconds(60));

        // SQS answers nothing for 30 s: the heartbeat, then (once the lock goes) the deletes, and the receives all hang.
        run.Sqs.BlackHole(true);
        await Task.Delay(TimeSpan.FromSeconds(15));
        await blocker.DisposeAsync();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() == messages, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(15));
        var liveDuring = await run.LiveAsync();
        run.Sqs.BlackHole(false);
        var faultEnded = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => (await _scope.MainQueueCountsAsync()) == (0, 0), TimeSpan.FromSeconds(90));
        var recovered = faultEnded.Elapsed;

        // The loops came back: a message sent now is received, stored and deleted.
        await _scope.SendAsync(NumberedLogins.Bodies("hole", messages + 1).Skip(messages));
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() == messages + 1 && (await _scope.MainQueueCountsAsync()) == (0, 0), TimeSpan.FromSeconds(60));
        var (exit, _) = await run.TerminateAsync(ExitBudget);

        var figures = await run.FiguresAsync("SQS black-holed 30 s with every message in flight", "hole", messages + 1, exitCode: exit, recovered: recovered);
        Assert.Contains("failed (", run.Log, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, liveDuring);
        FaultRun.AssertHeld(figures, messages + 1);
    }

    [Fact]
    public async Task Sigterm_DuringAnSqsBlip_ExitsZeroAndLeavesNothingHidden()
    {
        const int messages = 100;
        _scope = await TestScope.CreateAsync(visibilityTimeoutSeconds: 60);
        await using var run = new FaultRun(_scope, output);
        await using var blocker = await LockTableAsync();
        await _scope.SendAsync(NumberedLogins.Bodies("term", messages));
        run.Start(new Dictionary<string, string?> { ["Sqs__VisibilityTimeoutSeconds"] = "60" });
        await Poll.UntilAsync(async () => (await _scope.MainQueueCountsAsync()).NotVisible == messages, TimeSpan.FromSeconds(60));

        var blip = run.Sqs.BlipAsync(TimeSpan.FromSeconds(6));
        await blocker.DisposeAsync();
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        var (exit, took) = await run.TerminateAsync(ExitBudget);
        await blip;
        output.WriteLine($"exited {took.TotalSeconds:F1} s after SIGTERM, sent during a 6 s SQS blip");

        // With a 60 s visibility timeout, anything still hidden now was left behind by the stop.
        var figures = await run.FiguresAsync("SIGTERM during an SQS blip of 6 s", "term", messages, exitCode: exit);
        FaultRun.AssertHeld(figures, messages);
    }

    [Fact]
    public async Task PostgresConnectionsResetMidBatch_EveryMessageIsStoredOnce()
    {
        const int messages = 3_000;
        _scope = await TestScope.CreateAsync();
        await using var run = new FaultRun(_scope, output);
        await _scope.SendAsync(NumberedLogins.Bodies("pgreset", messages));
        run.Start();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() > 0, TimeSpan.FromSeconds(60));

        var resets = 0;
        for (var i = 0; i < 20 && await _scope.RowCountAsync() < messages; i++)
        {
            run.Postgres.ResetAll();
            resets++;
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        var faultEnded = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() == messages && (await _scope.MainQueueCountsAsync()) == (0, 0), TimeSpan.FromSeconds(90));
        var recovered = faultEnded.Elapsed;
        var (exit, _) = await run.TerminateAsync(ExitBudget);

        var figures = await run.FiguresAsync($"PostgreSQL connections reset {resets} times while inserting", "pgreset", messages, exitCode: exit, recovered: recovered);
        Assert.True(run.Postgres.Resets > 0, "no PostgreSQL connection was reset");
        FaultRun.AssertHeld(figures, messages);
    }

    [Fact]
    public async Task PostgresBlackHoled20Seconds_ResumesAndStoresEveryMessageOnce()
    {
        const int messages = 1_000;
        _scope = await TestScope.CreateAsync();
        await using var run = new FaultRun(_scope, output);
        await _scope.SendAsync(NumberedLogins.Bodies("pghole", messages / 2));
        run.Start();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() == messages / 2, TimeSpan.FromSeconds(60));

        run.Postgres.BlackHole(true);
        run.Postgres.ResetAll();
        await _scope.SendAsync(NumberedLogins.Bodies("pghole", messages).Skip(messages / 2));
        await Task.Delay(TimeSpan.FromSeconds(20));
        run.Postgres.BlackHole(false);
        var faultEnded = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => await _scope.RowCountAsync() == messages && (await _scope.MainQueueCountsAsync()) == (0, 0), TimeSpan.FromSeconds(120));
        var recovered = faultEnded.Elapsed;
        var (exit, _) = await run.TerminateAsync(ExitBudget);

        var figures = await run.FiguresAsync("PostgreSQL black-holed 20 s", "pghole", messages, exitCode: exit, recovered: recovered);
        FaultRun.AssertHeld(figures, messages);
    }

    [Fact]
    public async Task FailuresDuringDeleteMessageBatchAndTheErrorQueueSend_SettleEachMessageOnce()
    {
        const int messages = 200;
        const int poison = 10;
        _scope = await TestScope.CreateAsync();
        await using var run = new FaultRun(_scope, output);
        await _scope.SendAsync(NumberedLogins.Bodies("settle", messages));
        await _scope.SendAsync(Enumerable.Range(0, poison).Select(i => $$"""{"user_id": "poison-{{i}}", "ip": "not an address"}"""));
        run.Sqs.ResetRequestsContaining("AmazonSQS.DeleteMessageBatch", times: 8);
        run.Sqs.ResetRequestsContaining("AmazonSQS.SendMessage\r", times: 4);
        run.Start();

        await Poll.UntilAsync(
            async () => await _scope.RowCountAsync() == messages && (await _scope.MainQueueCountsAsync()) == (0, 0) && await ErrorQueueDepthAsync() == poison,
            TimeSpan.FromSeconds(90));
        var (exit, _) = await run.TerminateAsync(ExitBudget);

        var figures = await run.FiguresAsync("connections reset during 8 DeleteMessageBatch and 4 error-queue sends", "settle", messages, poison, exit);
        Assert.Equal(0, run.Sqs.PendingRequestResets);
        FaultRun.AssertHeld(figures, messages, expectedPoison: poison);
    }

    [Fact]
    public async Task BodiesNearTheSqsLimitAtFullInFlight_MemoryStaysUnderTheDeploymentLimit()
    {
        const int sends = 200;
        const long deploymentLimit = 512L * 1024 * 1024;
        _scope = await TestScope.CreateAsync();
        await using var run = new FaultRun(_scope, output);
        var padding = new string('x', 900 * 1024);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, sends),
            new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (i, token) => await _scope.Sqs.SendMessageAsync(_scope.QueueUrl, $$"""{"user_id": "big-{{i}}", "device_type": "{{padding}}"}""", token));

        // What the consumer is given is what login-queue holds: the test's own SDK client retries a send whose answer
        // it lost, and the retry is a second message (as it would be for any producer).
        var (messages, _) = await _scope.MainQueueCountsAsync();
        Assert.InRange(messages, sends, sends + 10);
        if (messages != sends)
        {
            output.WriteLine($"login-queue holds {messages} messages for {sends} sends: the producer's client sent some twice");
        }

        // The Deployment caps the GC heap at 60% of its memory limit (DOTNET_GCHeapHardLimitPercent); a pod's runtime
        // reads the limit from its cgroup, a process here must be told the heap size itself.
        run.Start(new Dictionary<string, string?>
        {
            ["Sqs__MaxInFlight"] = "400",
            ["DOTNET_GCHeapHardLimit"] = (deploymentLimit * 60 / 100).ToString("x", CultureInfo.InvariantCulture),
        });
        await Poll.UntilAsync(async () => await ErrorQueueDepthAsync() >= messages, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(500));
        var peak = PeakResidentBytes(run.Consumer);

        var (exit, _) = await run.TerminateAsync(ExitBudget);
        output.WriteLine($"{messages} bodies of {padding.Length / 1024} KiB: peak RSS {peak / (1024 * 1024)} MiB (limit {deploymentLimit / (1024 * 1024)} MiB)");
        var figures = await run.FiguresAsync("bodies of 900 KiB at full in-flight", "big", sent: 0, poisonSent: messages, exitCode: exit);
        Assert.InRange(peak, 1, deploymentLimit);
        FaultRun.AssertHeld(figures, expectedRows: 0, expectedPoison: messages);

        // Under the limit with room to spare: no allocation failed at the GC heap limit (a failed receive would
        // redeliver its messages, a send cut short after SQS stored it would leave a second copy).
        Assert.DoesNotContain("OutOfMemoryException", run.Log, StringComparison.Ordinal);
    }

    private async Task<long> ErrorQueueDepthAsync()
    {
        var attributes = await _scope.Sqs.GetQueueAttributesAsync(
            _scope.ErrorQueueUrl,
            [Amazon.SQS.QueueAttributeName.ApproximateNumberOfMessages, Amazon.SQS.QueueAttributeName.ApproximateNumberOfMessagesNotVisible]);
        return attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
    }

    /// <summary>A transaction holding a lock that blocks every INSERT until it is disposed.</summary>
    private async Task<TableLock> LockTableAsync()
    {
        var connection = new NpgsqlConnection(_scope.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE user_logins IN EXCLUSIVE MODE", connection, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        return new TableLock(connection, transaction);
    }

    /// <summary>The kernel's high-water mark of the process's resident memory.</summary>
    private static long PeakResidentBytes(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private sealed class TableLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        private bool _released;

        public async ValueTask DisposeAsync()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
