using System.ComponentModel.DataAnnotations;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Messaging;

/// <summary>In-process retry of transient failures; poison is never retried.</summary>
public sealed class ConsumerOptions
{
    public const string SectionName = "Consumer";

    /// <summary>Bodies larger than this are poison. A login event is a few hundred bytes.</summary>
    [Range(256, 1_048_576)]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>JSON nested deeper than this is poison (checked before deserializing).</summary>
    [Range(2, 64)]
    public int MaxJsonDepth { get; set; } = 16;

    [Range(0, 20)]
    public int RetryLimit { get; set; } = 5;

    [TimeSpanRange("00:00:00", "00:10:00")]
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    [TimeSpanRange("00:00:00", "00:10:00")]
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(5);

    [TimeSpanRange("00:00:00", "00:10:00")]
    public TimeSpan RetryIntervalDelta { get; set; } = TimeSpan.FromMilliseconds(300);
}
