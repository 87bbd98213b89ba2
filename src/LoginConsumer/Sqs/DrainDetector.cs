using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// <c>run --until-empty</c>: stops the host once every receiver came back empty, nothing is in flight, and SQS counts no
/// message at all (invisible ones will come back). A receiver that found nothing parks here instead of polling again, so
/// that once the queue is empty the host stops with no receive in progress.
/// </summary>
public sealed partial class DrainDetector(
    IAmazonSQS sqs,
    SqsCallPolicy policy,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    IOptions<SqsOptions> options,
    ILogger<DrainDetector> logger)
{
    private readonly SqsOptions _options = options.Value;
    private int _emptyReceivers;
    private TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A receiver's latest receive was empty (or no longer is).</summary>
    public void ReceiverEmpty(bool wasEmpty, bool isEmpty)
    {
        if (isEmpty != wasEmpty)
        {
            Interlocked.Add(ref _emptyReceivers, isEmpty ? 1 : -1);
        }
    }

    /// <summary>Parks an empty receiver until the next look finds the queue not empty after all.</summary>
    public Task WaitForResumeAsync(CancellationToken cancellationToken) => Volatile.Read(ref _resume).Task.WaitAsync(cancellationToken);

    public async Task RunAsync(string queueUrl, Func<int> inFlight, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (Volatile.Read(ref _emptyReceivers) < _options.Receivers || inFlight() > 0)
            {
                continue;
            }

            var contents = await QueueContentsAsync(queueUrl, stoppingToken).ConfigureAwait(false);
            if (contents == QueueContents.Empty && inFlight() == 0)
            {
                LogQueueEmpty(_options.QueueName);
                lifetime.StopApplication();

                // Done: wait for the stop this asked for, so that ending is never mistaken for a loop that died.
                await Task.Delay(Timeout.InfiniteTimeSpan, time, stoppingToken).ConfigureAwait(false);
                return;
            }

            if (contents == QueueContents.OnlyHidden)
            {
                // Messages in flight elsewhere, delayed, or backing off: none can be received yet, so look again in a
                // second rather than have the receivers short-poll ten times a second until they come back.
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(false);
            }

            Interlocked.Exchange(ref _resume, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    private enum QueueContents
    {
        Empty,
        Visible,
        OnlyHidden,
    }

    private async Task<QueueContents> QueueContentsAsync(string queueUrl, CancellationToken cancellationToken)
    {
        try
        {
            var attributes = await policy.RunAsync(
                "GetQueueAttributes",
                token => sqs.GetQueueAttributesAsync(
                    new GetQueueAttributesRequest
                    {
                        QueueUrl = queueUrl,
                        AttributeNames =
                        [
                            QueueAttributeName.ApproximateNumberOfMessages,
                            QueueAttributeName.ApproximateNumberOfMessagesNotVisible,
                            QueueAttributeName.ApproximateNumberOfMessagesDelayed,
                        ],
                    },
                    token),
                cancellationToken).ConfigureAwait(false);

            // Only counts of zero mean empty: an answer without them is treated as "not yet".
            return (attributes.ApproximateNumberOfMessages, attributes.ApproximateNumberOfMessagesNotVisible, attributes.ApproximateNumberOfMessagesDelayed) switch
            {
                (0, 0, 0) => QueueContents.Empty,
                ( > 0, _, _) => QueueContents.Visible,
                _ => QueueContents.OnlyHidden,
            };
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Unknown, so not empty; looked at again after the same second's pause.
            LogCountFailed(ex, SqsCallPolicy.Describe(ex));
            return QueueContents.OnlyHidden;
        }
    }

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "{QueueName} is empty and nothing is in flight; stopping")]
    private partial void LogQueueEmpty(string queueName);

    [LoggerMessage(EventId = 1309, Level = LogLevel.Warning, Message = "Could not count the queue's messages ({Failure}); looking again in a second")]
    private partial void LogCountFailed(Exception exception, string failure);
}
