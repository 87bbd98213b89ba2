using System.Diagnostics;
using Amazon.SQS;

namespace LoginConsumer.Bench;

/// <summary>
/// (c) LoginConsumer as shipped: the published executable, `run --until-empty`, default settings; with
/// <c>receivers</c> set, every default but <c>Sqs:Receivers</c>.
/// </summary>
public static class ConsumerPipeline
{
    public static async Task<PipelineResult> RunAsync(BenchContext context, int messages, string executable, int? receivers = null)
    {
        var (name, _) = await context.BacklogAsync("consumer", messages);
        var rowsBefore = await context.ScalarAsync("SELECT count(*) FROM user_logins");
        var start = StartInfo(executable, name, untilEmpty: true, receivers);

        var emulator0 = context.EmulatorCpu();
        var postgres0 = context.PostgresCpu();
        var clock = Stopwatch.StartNew();
        using var consumer = Process.Start(start)!;
        var output = consumer.StandardOutput.ReadToEndAsync();
        var errors = consumer.StandardError.ReadToEndAsync();

        // Sample CPU and peak RSS until it exits (a process's /proc entry is gone after exit).
        double cpu = 0, peakRss = 0;
        while (!consumer.HasExited)
        {
            cpu = Math.Max(cpu, ProcessCpu.Seconds(consumer.Id));
            peakRss = Math.Max(peakRss, ProcessCpu.PeakRssMb(consumer.Id));
            await Task.Delay(50);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var stored = await context.ScalarAsync("SELECT count(*) FROM user_logins") - rowsBefore;
        if (consumer.ExitCode != 0 || stored != messages)
        {
            throw new InvalidOperationException($"The consumer exited {consumer.ExitCode} having stored {stored} of {messages} rows:\n{await output}{await errors}");
        }

        // Warm rate: rows committed over the second half of the drain, from PostgreSQL's commit timestamps.
        var warm = await context.ScalarDoubleAsync(
            $"""
            WITH t AS (SELECT pg_xact_commit_timestamp(xmin) AS c FROM user_logins
                       WHERE pg_xact_commit_timestamp(xmin) >= now() - interval '{(int)Math.Ceiling(seconds) + 5} seconds')
            SELECT (count(*) / 2)::float8 / NULLIF(extract(epoch FROM max(c) - percentile_disc(0.5) WITHIN GROUP (ORDER BY c)), 0) FROM t
            """);

        // Processing window: first row committed to last, i.e. without process start-up and the until-empty stop.
        var window = await context.ScalarDoubleAsync(
            $"""
            WITH t AS (SELECT pg_xact_commit_timestamp(xmin) AS c FROM user_logins
                       WHERE pg_xact_commit_timestamp(xmin) >= now() - interval '{(int)Math.Ceiling(seconds) + 5} seconds')
            SELECT count(*)::float8 / NULLIF(extract(epoch FROM max(c) - min(c)), 0) FROM t
            """);

        return new PipelineResult(
            receivers is null ? "consumer" : "consumer-" + receivers,
            messages,
            seconds,
            cpu * 1000 / messages,
            (context.EmulatorCpu() - emulator0) * 1000 / messages,
            (context.PostgresCpu() - postgres0) * 1000 / messages,
            peakRss,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(receivers is { } r ? $"receivers {r}" : "defaults")}, process start to exit; first to last commit {window:F0} msg/s; second half of its rows at {warm:F0} msg/s"))
        {
            WarmMessagesPerSecond = warm,
            WindowMessagesPerSecond = window,
        };
    }

    /// <summary>
    /// (c, running) The same consumer as a running service that meets a backlog (with <c>receivers</c> set, every default but <c>Sqs:Receivers</c>), which is how the bare loop is
    /// measured too (in a process that has already sent and received). Started with `run` and defaults, it
    /// first stores <paramref name="warmup"/> messages. Then <paramref name="messages"/> more are sent with
    /// per-message delays, so that none is visible before one moment and all are within a second of it
    /// (the consumer long-polls meanwhile). Timed from that moment to the last row's commit.
    /// </summary>
    public static async Task<PipelineResult> RunRunningAsync(BenchContext context, int messages, int warmup, string executable, int? receivers = null)
    {
        var (name, url) = await context.BacklogAsync("running", warmup);
        var rowsBefore = await context.ScalarAsync("SELECT count(*) FROM user_logins");
        using var consumer = Process.Start(StartInfo(executable, name, untilEmpty: false, receivers))!;
        var output = consumer.StandardOutput.ReadToEndAsync();
        var errors = consumer.StandardError.ReadToEndAsync();
        try
        {
            await WaitUntilStoredAsync(context, url, consumer, rowsBefore + warmup, output, errors);

            // Sending takes a few seconds and every SendMessageBatch makes the emulator walk its delayed
            // messages, so plan generously: the delays must all still be at least one second when sent.
            var visibleAt = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5 + messages / 4_000.0);
            await Sample.SampleSender.SendAllAsync(context.Sqs, url, Sample.SampleMessages.Generate(messages, seed: 12, malformedEvery: 0), CancellationToken.None, delaySeconds: () =>
            {
                // The whole-second delay that makes this batch visible within the second after visibleAt.
                var delay = (int)Math.Ceiling((visibleAt - DateTimeOffset.UtcNow).TotalSeconds);
                return delay >= 1 ? delay : throw new InvalidOperationException("The delayed backlog took too long to send: its visibility moment has passed.");
            });

            var idle = visibleAt - DateTimeOffset.UtcNow;
            if (idle < TimeSpan.Zero)
            {
                throw new InvalidOperationException($"Sending the backlog overran its planned visibility time by {-idle.TotalSeconds:F1} s; the measurement would start late.");
            }

            await Task.Delay(idle);
            var cpu0 = ProcessCpu.Seconds(consumer.Id);
            var emulator0 = context.EmulatorCpu();
            var postgres0 = context.PostgresCpu();
            await WaitUntilStoredAsync(context, url, consumer, rowsBefore + warmup + messages, output, errors);
            var cpu = ProcessCpu.Seconds(consumer.Id) - cpu0;
            var emulator = context.EmulatorCpu() - emulator0;
            var postgres = context.PostgresCpu() - postgres0;
            var peakRss = ProcessCpu.PeakRssMb(consumer.Id);
            var visibleAtEpoch = visibleAt.ToUnixTimeMilliseconds() / 1000.0;
            var backlogRows = $"FROM user_logins WHERE pg_xact_commit_timestamp(xmin) >= to_timestamp({visibleAtEpoch:F3})";
            var lastCommit = await context.ScalarDoubleAsync($"SELECT extract(epoch FROM max(pg_xact_commit_timestamp(xmin)))::float8 {backlogRows}");
            var firstCommit = await context.ScalarDoubleAsync($"SELECT extract(epoch FROM min(pg_xact_commit_timestamp(xmin)))::float8 {backlogRows}");
            var seconds = lastCommit - visibleAtEpoch;
            var window = messages / (lastCommit - firstCommit);
            return new PipelineResult(
                receivers is { } r ? "running-" + r : "running",
                messages,
                seconds,
                cpu * 1000 / messages,
                emulator * 1000 / messages,
                postgres * 1000 / messages,
                peakRss,
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(receivers is { } count ? $"receivers {count}" : "defaults")}, a running consumer warmed on {warmup}; from the backlog's visibility to its last commit; first to last commit {window:F0} msg/s"))
            {
                WindowMessagesPerSecond = window,
            };
        }
        finally
        {
            if (!consumer.HasExited)
            {
                consumer.Kill();
            }
        }
    }

    /// <summary>
    /// Waits until the queue holds nothing (every message deleted, so its row committed), asking SQS rather than
    /// counting rows: a count(*) every 100 ms would cost PostgreSQL more than the inserts. Then checks the rows once.
    /// </summary>
    private static async Task WaitUntilStoredAsync(BenchContext context, string url, Process consumer, long rows, Task<string> output, Task<string> errors)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        string[] counts = [QueueAttributeName.ApproximateNumberOfMessages, QueueAttributeName.ApproximateNumberOfMessagesNotVisible, QueueAttributeName.ApproximateNumberOfMessagesDelayed];
        while (true)
        {
            var attributes = (await context.Sqs.GetQueueAttributesAsync(url, [.. counts])).Attributes;
            if (counts.All(name => attributes.GetValueOrDefault(name) == "0"))
            {
                break;
            }

            if (consumer.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The running consumer left messages in the queue (exited: {consumer.HasExited}):\n{(consumer.HasExited ? await output + await errors : "")}");
            }

            await Task.Delay(100);
        }

        var stored = await context.ScalarAsync("SELECT count(*) FROM user_logins");
        if (stored != rows)
        {
            throw new InvalidOperationException($"The queue is empty but the table has {stored} rows, not {rows}.");
        }
    }

    private static ProcessStartInfo StartInfo(string executable, string queueName, bool untilEmpty, int? receivers)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("run");
        if (untilEmpty)
        {
            start.ArgumentList.Add("--until-empty");
        }

        start.Environment["Sqs__QueueName"] = queueName;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Sqs__ErrorQueueName"] = queueName + "_error";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        if (receivers is { } count)
        {
            start.Environment["Sqs__Receivers"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return start;
    }
}
