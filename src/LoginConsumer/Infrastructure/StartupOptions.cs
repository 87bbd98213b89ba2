namespace LoginConsumer.Infrastructure;

/// <summary>How long <c>run</c> waits at start for SQS and PostgreSQL to answer before it gives up (exit 4).</summary>
public sealed class StartupOptions
{
    public const string SectionName = "Startup";

    /// <summary>
    /// A dependency that has not answered once within this time since start ends the process with exit code 4, so an
    /// orchestrator sees a failed start instead of a pod that waits unready for ever. 0 gives up after the first try.
    /// </summary>
    [TimeSpanRange("00:00:00", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);
}
