using System.ComponentModel.DataAnnotations;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Persistence;

public sealed class BatchWriterOptions
{
    public const string SectionName = "BatchWriter";

    /// <summary>Most rows in one INSERT. Rows that queue while a batch is being written, or while it is gathered, form the next one, so batches grow with load.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>
    /// How long a batch waits for more rows after its first, unless it is full at once. Under load this turns many
    /// small INSERTs into fewer large ones; when idle it is added to each row's commit (and so to the lag). Zero: no wait.
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:01")]
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How many INSERT statements may run at once (each takes a pooled connection).</summary>
    [Range(1, 64)]
    public int Writers { get; set; } = 2;

    /// <summary>How often an unreachable database is probed.</summary>
    [TimeSpanRange("00:00:00.100", "00:01:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An INSERT that takes longer fails its batch, which is then retried message by message.</summary>
    [TimeSpanRange("00:00:01", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
