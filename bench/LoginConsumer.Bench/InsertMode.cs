using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using LoginConsumer.Persistence;
using LoginConsumer.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoginConsumer.Bench;

/// <summary>
/// The ceiling of one PostgreSQL for this service: the shipped <see cref="LoginBatchWriter"/> (its batching, its
/// INSERT … unnest … ON CONFLICT) fed as fast as it takes rows, with no SQS and no masking in front of it, into a
/// table that grows step by step. Each step prints its rows per second, PostgreSQL's CPU per 1,000 rows and the
/// size of the table and of its message_id index, so the cost of a larger index can be read off.
/// </summary>
public static class InsertMode
{
    public static async Task<InsertResult> RunAsync(BenchContext context, int rows, int step, int writers)
    {
        await context.ExecuteAsync("TRUNCATE user_logins");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["BatchWriter:Writers"] = writers.ToString(CultureInfo.InvariantCulture) });
        builder.AddLoginDatabase("LoginDb");
        builder.Services.AddOptions<BatchWriterOptions>().BindConfiguration(BatchWriterOptions.SectionName);
        builder.Services.AddSingleton(sp => new LoginConsumerTelemetry(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "bench"));
        builder.Services.AddSingleton<DatabaseAvailability>();
        builder.Services.AddSingleton<LoginBatchWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LoginBatchWriter>());
        using var host = builder.Build();
        await host.StartAsync();
        var writer = host.Services.GetRequiredService<LoginBatchWriter>();

        // As many rows in flight as the consumer's defaults allow at most (receivers × messages per receive, bounded
        // by its in-flight limit), so the writer sees the concurrency it sees in production.
        const int InFlight = 512;
        var steps = new List<InsertStep>();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var next = 0;
        while (next < rows)
        {
            var end = Math.Min(rows, next + step);
            var postgresBefore = context.PostgresCpu();
            var clock = Stopwatch.StartNew();
            var inFlight = new List<Task>(InFlight);
            for (var i = next; i < end; i++)
            {
                inFlight.Add(writer.WriteAsync(Row(i, today), CancellationToken.None));
                if (inFlight.Count == InFlight)
                {
                    await Task.WhenAny(inFlight);
                    inFlight.RemoveAll(t => t.IsCompleted);
                }
            }

            await Task.WhenAll(inFlight);
            var seconds = clock.Elapsed.TotalSeconds;
            var postgres = context.PostgresCpu() - postgresBefore;
            var count = end - next;
            steps.Add(new InsertStep(
                end,
                count / seconds,
                postgres / count * 1000,
                await context.ScalarAsync("SELECT pg_table_size('user_logins')") / 1048576.0,
                await context.ScalarAsync("SELECT pg_relation_size(indexrelid) FROM pg_index WHERE indrelid = 'user_logins'::regclass AND indisunique") / 1048576.0));
            next = end;
        }

        await host.StopAsync();
        return new InsertResult(writers, steps);
    }

    // Message ids shaped as SQS's (a UUID); masked values shaped as the default keyed hash (key id, 32 bytes base64url); the other columns as a login has them.
    private static UserLogin Row(int i, DateOnly day) => new()
    {
        MessageId = Guid.NewGuid().ToString(),
        UserId = "user-" + (i % 100_000).ToString(CultureInfo.InvariantCulture),
        DeviceType = (i % 2) == 0 ? "android" : "ios",
        MaskedIp = Masked(),
        MaskedDeviceId = Masked(),
        Locale = "RU",
        AppVersion = 230,
        AppVersionText = "2.3.0",
        CreateDate = day,
    };

    private static string Masked() => "k1:" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}

public sealed record InsertStep(int RowsInTable, double RowsPerSecond, double PostgresCpuPer1000, double TableMb, double MessageIdIndexMb);

public sealed record InsertResult(int Writers, IReadOnlyList<InsertStep> Steps)
{
    public IEnumerable<string> Lines()
    {
        yield return string.Create(CultureInfo.InvariantCulture, $"== batched insert, {Writers} writers, the shipped LoginBatchWriter alone");
        foreach (var s in Steps)
        {
            yield return string.Create(
                CultureInfo.InvariantCulture,
                $"rows {s.RowsInTable,10:N0}  {s.RowsPerSecond,8:F0} rows/s  postgres CPU s/1000 rows {s.PostgresCpuPer1000:F3}  table {s.TableMb,7:F0} MB  message_id index {s.MessageIdIndexMb,6:F0} MB");
        }
    }

    public JsonNode ToJson() => new JsonObject
    {
        ["writers"] = Writers,
        ["steps"] = new JsonArray([.. Steps.Select(s => (JsonNode)new JsonObject
        {
            ["rows_in_table"] = s.RowsInTable,
            ["rows_per_s"] = Math.Round(s.RowsPerSecond),
            ["postgres_cpu_s_per_1000"] = Math.Round(s.PostgresCpuPer1000, 4),
            ["table_mb"] = Math.Round(s.TableMb, 1),
            ["message_id_index_mb"] = Math.Round(s.MessageIdIndexMb, 1),
        })]),
    };
}
