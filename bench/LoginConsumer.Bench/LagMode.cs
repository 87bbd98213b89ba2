using System.Diagnostics;
using System.Globalization;
using Amazon.SQS.Model;
using Npgsql;

namespace LoginConsumer.Bench;

/// <summary>
/// Steady state: sends at a fixed rate while the shipped consumer runs, then measures end-to-end lag per
/// row as its commit time (PostgreSQL's track_commit_timestamp) minus the time it was sent. The first
/// <c>warmupSeconds</c> of sending, at the same rate, are not counted: a freshly started process runs
/// its first seconds on unoptimised code, which is start-up, not steady state. CPU is counted over the same
/// window: from the first counted send until every counted row is stored.
/// </summary>
public static class LagMode
{
    public static async Task<LagResult> RunAsync(BenchContext context, string executable, int rate, int seconds, int warmupSeconds)
    {
        var (name, url) = await context.BacklogAsync("lag", 0);
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("run");
        start.Environment["Sqs__QueueName"] = name;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Sqs__ErrorQueueName"] = name + "_error";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var consumer = Process.Start(start)!;
        try
        {
            return await MeasureAsync(context, consumer, url, rate, seconds, warmupSeconds, name);
        }
        finally
        {
            // A run that fails must not leave its consumer behind, competing for the cores with what comes next.
            if (!consumer.HasExited)
            {
                consumer.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<LagResult> MeasureAsync(BenchContext context, Process consumer, string url, int rate, int seconds, int warmupSeconds, string name)
    {
        var output = consumer.StandardOutput.ReadToEndAsync();
        var errors = consumer.StandardError.ReadToEndAsync();
        await Task.Delay(TimeSpan.FromSeconds(3)); // started and polling
        if (consumer.HasExited)
        {
            throw new InvalidOperationException($"The consumer exited {consumer.ExitCode} on start:\n{await output}{await errors}");
        }

        // 10 messages per SendMessageBatch, spread evenly; each user_id carries its send time.
        var prefix = "lag-" + name;
        var warmupBatches = rate * warmupSeconds / 10;
        var total = rate * (seconds + warmupSeconds);
        var interval = TimeSpan.FromSeconds(10.0 / rate);
        var clock = Stopwatch.StartNew();
        var sends = new List<Task>();
        CpuReading? counted = null;
        for (var batch = 0; batch * 10 < total; batch++)
        {
            // Read the clock once: read twice, the wait could come out a fraction of a millisecond below zero.
            var wait = (interval * batch) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            if (batch == warmupBatches)
            {
                counted = CpuReading.Take(context, consumer.Id);
            }

            var sentAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            sends.Add(context.Sqs.SendMessageBatchAsync(new SendMessageBatchRequest
            {
                QueueUrl = url,
                Entries = [.. Enumerable.Range(0, 10).Select(i => new SendMessageBatchRequestEntry(
                    i.ToString(CultureInfo.InvariantCulture),
                    $$"""{"user_id": "{{prefix}}:{{sentAt}}:{{(batch < warmupBatches ? "warm" : "m")}}:{{batch}}:{{i}}", "ip": "10.0.{{i}}.{{batch % 250}}", "device_id": "d-{{batch}}"}"""))],
            }));
        }

        await Task.WhenAll(sends);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        long stored;
        while ((stored = await context.ScalarAsync($"SELECT count(*) FROM user_logins WHERE user_id LIKE '{prefix}:%'")) < total && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        if (stored < total)
        {
            var exited = consumer.HasExited;
            consumer.Kill();
            throw new InvalidOperationException($"The consumer stored {stored} of {total} rows within two minutes of the last send{(exited ? $"; it exited {consumer.ExitCode}:\n{await output}{await errors}" : ".")}");
        }

        var end = CpuReading.Take(context, consumer.Id);
        var peakRss = ProcessCpu.PeakRssMb(consumer.Id);
        var window = clock.Elapsed - (interval * warmupBatches);
        consumer.Kill();
        var lags = new List<double>();
        await using (var connection = new NpgsqlConnection(context.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"SELECT split_part(user_id, ':', 2)::bigint, (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::bigint FROM user_logins WHERE user_id LIKE '{prefix}:%:m:%'",
                connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lags.Add(reader.GetInt64(1) - reader.GetInt64(0));
            }
        }

        lags.Sort();
        var measured = total - (warmupBatches * 10);
        var start0 = counted ?? throw new InvalidOperationException("No counted batch was sent: the window needs --seconds of at least 1.");
        return new LagResult(
            Percentile(lags, 0.50), Percentile(lags, 0.95), Percentile(lags, 0.99), lags.Count,
            (end.Consumer - start0.Consumer) * 1000 / measured,
            (end.Emulator - start0.Emulator) * 1000 / measured,
            (end.Postgres - start0.Postgres) * 1000 / measured,
            window.TotalSeconds,
            peakRss);
    }

    private sealed record CpuReading(double Consumer, double Emulator, double Postgres)
    {
        public static CpuReading Take(BenchContext context, int consumerPid) =>
            new(ProcessCpu.Seconds(consumerPid), context.EmulatorCpu(), context.PostgresCpu());
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}

/// <summary>
/// Lag percentiles over the counted rows, and each process's CPU seconds per 1,000 of them over the counted
/// window (<see cref="WindowSeconds"/>, the counted sends and the wait for their rows).
/// </summary>
public sealed record LagResult(
    double P50, double P95, double P99, int Count,
    double ConsumerCpuPer1000, double EmulatorCpuPer1000, double PostgresCpuPer1000,
    double WindowSeconds, double ConsumerPeakRssMb);
