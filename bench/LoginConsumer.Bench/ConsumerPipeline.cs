using System.Diagnostics;

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
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("run");
        start.ArgumentList.Add("--until-empty");
        start.Environment["Sqs__QueueName"] = name;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Sqs__ErrorQueueName"] = name + "_error";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        if (receivers is { } count)
        {
            start.Environment["Sqs__Receivers"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

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
}
