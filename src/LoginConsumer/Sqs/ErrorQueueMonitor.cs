using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;
using LoginConsumer.Telemetry;

namespace LoginConsumer.Sqs;

/// <summary>
/// Polls login-queue's backlog and the error queue's depth and age of its oldest message, for the metrics. SQS has no attribute
/// for the age, so it peeks: receives up to 10 with a visibility timeout of 0 (they stay visible) and takes
/// the oldest SentTimestamp among them. That is exact for a small queue and a lower bound for a large one.
/// </summary>
public sealed partial class ErrorQueueMonitor(
    IAmazonSQS sqs,
    SqsCallPolicy policy,
    LoopSupervisor supervisor,
    QueueTopology topology,
    LoginConsumerTelemetry telemetry,
    TimeProvider time,
    IOptions<SqsOptions> options,
    ILogger<ErrorQueueMonitor> logger) : BackgroundService
{
    public const string LoopName = "error-queue poller";

    // Supervised so that it cannot end silently; a failed poll is only logged, since metrics alone are no reason for a restart.

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.ErrorQueuePollInterval <= TimeSpan.Zero ? Task.CompletedTask : supervisor.RunAsync(LoopName, PollLoopAsync, stoppingToken);

    private async Task PollLoopAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.ErrorQueuePollInterval;

        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                // Each poll is one try within the call timeout; the next tick is the retry.
                var once = new SqsCall(1, policy.CallTimeout, TimeSpan.MaxValue);
                var queues = await policy.RunAsync("resolve the queues", topology.ResolveAsync, once, stoppingToken).ConfigureAwait(false);
                var (depth, oldest) = await policy.RunAsync(
                    "poll the error queue",
                    token => PollAsync(sqs, queues.Error, time, options.Value.ErrorQueueAgePeek, token),
                    once,
                    stoppingToken).ConfigureAwait(false);
                telemetry.ErrorQueuePolled(depth, oldest, ageKnown: options.Value.ErrorQueueAgePeek);
                var main = await policy.RunAsync(
                    "GetQueueAttributes",
                    token => sqs.GetQueueAttributesAsync(queues.Main, [QueueAttributeName.ApproximateNumberOfMessages], token),
                    once,
                    stoppingToken).ConfigureAwait(false);
                telemetry.QueuePolled(main.ApproximateNumberOfMessages);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPollFailed(options.Value.ErrorQueueName, SqsCallPolicy.Describe(ex));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Depth (visible + in flight) and the age of the oldest message peeked, null when empty.</summary>
    public static async Task<(long Depth, TimeSpan? OldestAge)> PollAsync(IAmazonSQS sqs, string queueUrl, TimeProvider time, bool peekAge, CancellationToken cancellationToken)
    {
        var attributes = await sqs.GetQueueAttributesAsync(
            queueUrl,
            [QueueAttributeName.ApproximateNumberOfMessages, QueueAttributeName.ApproximateNumberOfMessagesNotVisible],
            cancellationToken).ConfigureAwait(false);
        long depth = attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
        if (depth == 0 || !peekAge)
        {
            return (depth, null);
        }

        var peek = await sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = 10,
                VisibilityTimeout = 0,
                WaitTimeSeconds = 0,
                MessageSystemAttributeNames = [SqsAttributes.SentTimestampName],
            },
            cancellationToken).ConfigureAwait(false);
        var oldest = (peek.Messages ?? []).Select(SqsAttributes.SentTimestamp).OfType<long>().DefaultIfEmpty().Min();
        return (depth, oldest == 0 ? null : time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(oldest));
    }

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Could not poll the error queue {QueueName} for metrics ({Failure}); trying again on the next tick")]
    private partial void LogPollFailed(string queueName, string failure);
}
