using System.ComponentModel.DataAnnotations;

namespace LoginConsumer.Sqs;

/// <summary>The queues and how they are read. The endpoint, region and credentials are not here: they come from the AWS SDK's standard settings.</summary>
public sealed class SqsOptions
{
    public const string SectionName = "Sqs";

    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,80}$")]
    public string QueueName { get; set; } = "login-queue";

    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,80}$")]
    public string ErrorQueueName { get; set; } = "login-queue_error";

    /// <summary>Long-poll wait; 20 s (the maximum) keeps empty receives, and their cost, rare.</summary>
    [Range(0, 20)]
    public int WaitTimeSeconds { get; set; } = 20;

    [Range(1, 10)]
    public int MaxMessagesPerReceive { get; set; } = 10;

    /// <summary>Concurrent long-poll receive calls.</summary>
    [Range(1, 64)]
    public int Receivers { get; set; } = 4;

    /// <summary>Most messages received and not yet finished (deleted, dead-lettered or given up); receivers wait for room.</summary>
    [Range(1, 100_000)]
    public int MaxInFlight { get; set; } = 400;

    /// <summary>Most concurrent DeleteMessageBatch calls.</summary>
    [Range(1, 64)]
    public int Deleters { get; set; } = 4;

    /// <summary>A dispatch that takes longer is abandoned and left for redelivery.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "12:00:00")]
    public TimeSpan DispatchTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Create missing queues and the redrive policy at start; null means "only in Development".</summary>
    public bool? CreateTopology { get; set; }

    /// <summary>Used only when this service creates the main queue.</summary>
    [Range(0, 43_200)]
    public int VisibilityTimeoutSeconds { get; set; } = 30;

    /// <summary>Receives after which SQS moves a message to the error queue (the main queue's RedrivePolicy).</summary>
    [Range(1, 1000)]
    public int MaxReceiveCount { get; set; } = 5;

    /// <summary>Long-poll wait in <c>run --until-empty</c>: short, so that an empty queue is noticed quickly.</summary>
    [Range(0, 20)]
    public int UntilEmptyWaitTimeSeconds { get; set; } = 1;
}
