using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Persistence;
using LoginConsumer.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.IntegrationTests;

/// <summary>How the shared batch writer groups rows into INSERTs, seen through its own batch-size metric, against a real database.</summary>
public sealed class BatchWriterTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task WriteAsync_RowsArrivingWithinTheBatchDelay_ShareOneInsertEvenWithTwoWriters()
    {
        using var host = _scope.BuildInProcessConsumer(new Dictionary<string, string?>
        {
            ["BatchWriter:MaxBatchDelay"] = "00:00:00.500",
            ["BatchWriter:Writers"] = "2",
        });
        using var batches = new BatchSizes(host);
        await host.StartAsync();
        var writer = host.Services.GetRequiredService<LoginBatchWriter>();

        // The first row starts a batch; the others arrive while it waits. Without one gatherer at a time, the idle
        // second writer would take them as a batch of its own.
        var first = writer.WriteAsync(Row("m-1"), CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(50));
        var rest = Enumerable.Range(2, 4).Select(i => writer.WriteAsync(Row("m-" + i), CancellationToken.None)).ToList();
        await Task.WhenAll([first, .. rest]).WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();

        Assert.Equal([5], batches.Recorded);
        Assert.Equal(5, await _scope.RowCountAsync());
    }

    [Fact]
    public async Task WriteAsync_MoreRowsThanMaxBatchSize_SplitsThemAndWaitsForNone()
    {
        using var host = _scope.BuildInProcessConsumer(new Dictionary<string, string?>
        {
            ["BatchWriter:MaxBatchDelay"] = "00:00:00.200",
            ["BatchWriter:MaxBatchSize"] = "2",
        });
        using var batches = new BatchSizes(host);
        await host.StartAsync();
        var writer = host.Services.GetRequiredService<LoginBatchWriter>();

        var writes = Enumerable.Range(1, 5).Select(i => writer.WriteAsync(Row("m-" + i), CancellationToken.None)).ToList();
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();

        Assert.All(batches.Recorded, size => Assert.InRange(size, 1, 2));
        Assert.Equal(5, batches.Recorded.Sum());
        Assert.Equal(5, await _scope.RowCountAsync());
    }

    [Fact]
    public async Task StopAsync_WhenTheDatabaseIsFoundDownAfterStopping_FailsTheNextBatchAtOnceInsteadOfHoldingIt()
    {
        using var host = _scope.BuildInProcessConsumer(new Dictionary<string, string?>
        {
            ["ConnectionStrings:LoginDb"] = ClosedPort.DatabaseDown(timeoutSeconds: 2),
            ["BatchWriter:Writers"] = "1",
            ["BatchWriter:MaxBatchSize"] = "2",
            ["BatchWriter:MaxBatchDelay"] = "00:00:00.300",
        });
        await host.StartAsync();
        var writer = host.Services.GetRequiredService<LoginBatchWriter>();

        // Stop comes before anything has failed, so the database still counts as up. The first batch (full at once)
        // is tried and fails, and the probe that starts finds the database down while the last row waits out the
        // batch delay. Stopping must not hold that batch for the database until the host's shutdown timeout.
        var writes = Enumerable.Range(1, 3).Select(i => writer.WriteAsync(Row("m-" + i), CancellationToken.None)).ToList();
        var clock = Stopwatch.StartNew();
        using (var shutdownTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await writer.StopAsync(shutdownTimeout.Token);
        }

        clock.Stop();
        foreach (var write in writes)
        {
            // Failed (its message is redelivered), not still pending.
            var error = await Record.ExceptionAsync(() => write.WaitAsync(TimeSpan.FromSeconds(5)));
            Assert.NotNull(error);
            Assert.IsNotType<TimeoutException>(error);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {clock.Elapsed.TotalSeconds:F1} s");
        await host.StopAsync();
    }

    [Fact]
    public async Task WriteAsync_OneRowTheDatabaseAlwaysRejects_FailsThatRowAloneAndStoresTheRest()
    {
        // A rule the analysts might add: the table refuses one locale. Nothing but that row's own data decides it.
        await using (var connection = new Npgsql.NpgsqlConnection(_scope.ConnectionString))
        {
            await connection.OpenAsync();
            await using var check = new Npgsql.NpgsqlCommand("ALTER TABLE user_logins ADD CONSTRAINT no_xx CHECK (locale IS DISTINCT FROM 'XX')", connection);
            await check.ExecuteNonQueryAsync();
        }

        using var host = _scope.BuildInProcessConsumer(new Dictionary<string, string?> { ["BatchWriter:MaxBatchDelay"] = "00:00:00.300" });
        using var batches = new BatchSizes(host);
        await host.StartAsync();
        var writer = host.Services.GetRequiredService<LoginBatchWriter>();

        var writes = Enumerable.Range(1, 9).Select(i => writer.WriteAsync(Row("m-" + i, i == 6 ? "XX" : "SE"), CancellationToken.None)).ToList();
        var outcomes = await Task.WhenAll(writes.Select(w => Record.ExceptionAsync(() => w.WaitAsync(TimeSpan.FromSeconds(30)))));
        await host.StopAsync();

        var rejected = Assert.IsType<PoisonMessageException>(outcomes[5]);
        Assert.Equal(LoginBatchWriter.RejectedByDatabase, rejected.Code);
        Assert.Equal("23514", Assert.IsType<Npgsql.PostgresException>(rejected.InnerException).SqlState);
        Assert.Contains("SQLSTATE 23514", rejected.Message, StringComparison.Ordinal);
        Assert.Equal("rejected_by_database", LoginConsumer.Messaging.PoisonClassifier.Classify(rejected)?.Code);
        Assert.All(outcomes.Where((_, i) => i != 5), Assert.Null);
        Assert.Equal(8, await _scope.RowCountAsync());
        Assert.Equal(8, batches.Recorded.Sum());
    }

    private static UserLogin Row(string messageId, string? locale = null) => new()
    {
        MessageId = messageId,
        Locale = locale,
        UserId = "u-" + messageId,
        CreateDate = new DateOnly(2026, 11, 26),
    };

    /// <summary>Every value this host's writer records on loginconsumer.batch.size (other hosts in the test process are ignored).</summary>
    private sealed class BatchSizes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<int> _recorded = new();

        public BatchSizes(IHost host)
        {
            var factory = host.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "loginconsumer.batch.size" && instrument.Meter.Name == LoginConsumerTelemetry.Name
                    && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, _, _) => _recorded.Enqueue(value));
            _listener.Start();
        }

        public int[] Recorded => [.. _recorded];

        public void Dispose() => _listener.Dispose();
    }
}
