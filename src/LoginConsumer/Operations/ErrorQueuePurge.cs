using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Sqs;

namespace LoginConsumer.Operations;

/// <summary>
/// Deletes the error-queue messages a filter picks, and only those: receive, delete what matches, make the rest visible
/// again at the end. Bounded by the depth at the start, like redrive. (A purge of everything is SQS's PurgeQueue.)
/// </summary>
public static class ErrorQueuePurge
{
    public static async Task<(ReasonTally Purged, ReasonTally Left)> DeleteMatchingAsync(
        IAmazonSQS sqs, string errorQueueUrl, ErrorQueueFilter filter, TimeProvider time, CancellationToken cancellationToken)
    {
        var depth = (await sqs.GetQueueAttributesAsync(errorQueueUrl, [QueueAttributeName.ApproximateNumberOfMessages], cancellationToken).ConfigureAwait(false))
            .ApproximateNumberOfMessages;
        var purged = new ReasonTally();
        var left = new ReasonTally();
        var release = new List<string>();
        var seen = 0L;
        try
        {
            while (seen < depth)
            {
                var messages = await ErrorQueueScanner.ReceiveAsync(sqs, errorQueueUrl, depth - seen, cancellationToken).ConfigureAwait(false);
                if (messages.Count == 0)
                {
                    break;
                }

                seen += messages.Count;
                var now = time.GetUtcNow();
                var doomed = new List<(Message Message, string Reason)>();
                foreach (var message in messages)
                {
                    var entry = ErrorQueueEntry.From(message);
                    if (filter.Matches(entry, now))
                    {
                        doomed.Add((message, entry.ReasonCode));
                    }
                    else
                    {
                        left.Add(entry.ReasonCode);
                        release.Add(message.ReceiptHandle);
                    }
                }

                if (doomed.Count == 0)
                {
                    continue;
                }

                var deleted = await sqs.DeleteMessageBatchAsync(SqsBatches.Delete(errorQueueUrl, doomed.Select(d => d.Message.ReceiptHandle)), cancellationToken).ConfigureAwait(false);
                var failedAt = (deleted.Failed ?? []).Select(f => SqsBatches.Index(f.Id)).ToHashSet();
                for (var i = 0; i < doomed.Count; i++)
                {
                    (failedAt.Contains(i) ? left : purged).Add(doomed[i].Reason);
                }
            }
        }
        finally
        {
            foreach (var chunk in SqsBatches.Chunks(release))
            {
                await sqs.ChangeMessageVisibilityBatchAsync(SqsBatches.Visibility(errorQueueUrl, chunk, 0), CancellationToken.None).ConfigureAwait(false);
            }
        }

        return (purged, left);
    }
}
