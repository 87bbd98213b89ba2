using System.ComponentModel.DataAnnotations;

namespace LoginConsumer.Messaging;

/// <summary>In-process retry of transient failures; poison is never retried.</summary>
public sealed class ConsumerOptions
{
    public const string SectionName = "Consumer";

    [Range(0, 20)]
    public int RetryLimit { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryIntervalDelta { get; set; } = TimeSpan.FromMilliseconds(300);
}
