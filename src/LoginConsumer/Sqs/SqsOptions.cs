using System.ComponentModel.DataAnnotations;
using LoginConsumer.Infrastructure;

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

    /// <summary>
    /// Most body bytes held at once (received and not yet settled). Before each receive, room for SQS's largest body
    /// per message asked for is reserved, so memory stays bounded however large the bodies are.
    /// </summary>
    [Range(1_048_576, 4_294_967_296)]
    public long MaxInFlightBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>How long one SQS call may take before it counts as failed (a receive's long-poll wait comes on top).</summary>
    [TimeSpanRange("00:00:00.100", "00:05:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts of one SQS call, with jittered backoff between them, before its failure is final.</summary>
    [Range(1, 100)]
    public int CallAttempts { get; set; } = 4;

    /// <summary>
    /// How long settling a message (its delete, its error-queue send, its release) keeps being tried through failures.
    /// The message stays hidden by the heartbeat meanwhile.
    /// </summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan SettleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most concurrent DeleteMessageBatch calls.</summary>
    [Range(1, 64)]
    public int Deleters { get; set; } = 4;

    /// <summary>A dispatch that takes longer is abandoned and left for redelivery.</summary>
    [TimeSpanRange("00:00:01", "12:00:00")]
    public TimeSpan DispatchTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Create missing queues and the redrive policy at start; null means "only in Development".</summary>
    public bool? CreateTopology { get; set; }

    /// <summary>
    /// Asked for on every receive (and set on the queue when this service creates it). The visibility
    /// heartbeat extends messages still being worked on, so this only bounds how long a crashed process's
    /// messages stay hidden.
    /// </summary>
    [Range(1, 43_200)]
    public int VisibilityTimeoutSeconds { get; set; } = 30;

    /// <summary>On SIGTERM, how long started messages may take to finish before they are released (made visible at once).</summary>
    [TimeSpanRange("00:00:00", "01:00:00")]
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A message whose retries are spent becomes visible again after this × 4^(receives − 1), at most <see cref="RedeliveryBackoffMax"/>.</summary>
    [TimeSpanRange("00:00:00", "00:15:00")]
    public TimeSpan RedeliveryBackoffBase { get; set; } = TimeSpan.FromSeconds(5);

    [TimeSpanRange("00:00:00", "12:00:00")]
    public TimeSpan RedeliveryBackoffMax { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Receives after which SQS moves a message to the error queue (the main queue's RedrivePolicy).</summary>
    [Range(1, 1000)]
    public int MaxReceiveCount { get; set; } = 5;

    /// <summary>
    /// Receive wait in <c>run --until-empty</c>. 0 (short polling) means a receiver that finds nothing parks at once
    /// instead of after a long poll, so a drain ends sooner. It is
    /// safe because stopping also needs nothing in flight and SQS's own counts (visible, in flight, delayed) at zero;
    /// a short poll that missed messages only makes the receivers go round again. While only hidden messages are left
    /// (backing off, delayed), the receivers go round once a second.
    /// </summary>
    [Range(0, 20)]
    public int UntilEmptyWaitTimeSeconds { get; set; }

    /// <summary>How often the error queue's depth and oldest age are polled for the metrics; zero turns polling off.</summary>
    [TimeSpanRange("00:00:00", "01:00:00")]
    public TimeSpan ErrorQueuePollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether the poller also peeks (receive with visibility timeout 0) at the error queue for the age of its oldest
    /// message. That needs ReceiveMessage on the error queue, which the production IAM policy does not grant (its bodies
    /// hold raw values): there, CloudWatch's ApproximateAgeOfOldestMessage gives the age.
    /// </summary>
    public bool ErrorQueueAgePeek { get; set; } = true;

    /// <summary>/health/live turns unhealthy when the receive loop has not gone round for this long (a long poll lasts WaitTimeSeconds).</summary>
    [TimeSpanRange("00:00:05", "01:00:00")]
    public TimeSpan LoopStallAfter { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// When deletes or error-queue sends have failed without a success for this long (a denied DeleteMessage, a
    /// denied SendMessage to the error queue), receiving pauses and /health/ready says why, until one succeeds.
    /// </summary>
    [TimeSpanRange("00:00:01", "01:00:00")]
    public TimeSpan SettleStallAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A folder of SNS signing certificates (.pem), named as the file in SigningCertURL, read instead of fetching them
    /// from SNS: for hosts with no route to SNS. Unset: fetched from SNS's own host and kept.
    /// </summary>
    public string? SnsCertificateDirectory { get; set; }
}
