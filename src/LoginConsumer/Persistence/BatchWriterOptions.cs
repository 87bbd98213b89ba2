using System.ComponentModel.DataAnnotations;

namespace LoginConsumer.Persistence;

public sealed class BatchWriterOptions
{
    public const string SectionName = "BatchWriter";

    /// <summary>Most rows in one INSERT. Rows that queue while a batch is being written form the next one, so batches grow with load and add no waiting when idle.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>How many INSERT statements may run at once (each takes a pooled connection).</summary>
    [Range(1, 64)]
    public int Writers { get; set; } = 2;

    /// <summary>An INSERT that takes longer fails its batch, which is then retried message by message.</summary>
    /// <summary>How often an unreachable database is probed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
