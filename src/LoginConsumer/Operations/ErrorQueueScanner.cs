using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Sqs;

namespace LoginConsumer.Operations;

/// <summary>
/// Reads the error queue without consuming it: messages are received with a visibility timeout (so a scan sees each
/// once) and made visible again when the scan ends, even when it fails.
/// </summary>
public static class ErrorQueueScanner
{
    private static readonly List<string> SystemAttributes = [SqsAttributes.SentTimestampName, SqsAttributes.ReceiveCountName];

    public static Task<List<ErrorQueueEntry>> ScanAsync(IAmazonSQS sqs, string queueUrl, int max, CancellationToken cancellationToken) =>
        ScanAsync(sqs, queueUrl, max, _ => true, max, cancellationToken);

    /// <summary>
    /// Up to <paramref name="max"/> messages that <paramref name="matches"/> picks, looking at no more than
    /// <paramref name="lookAtMost"/>: a scan for a few of one kind stops once it has them, and hides no more than it must.
    /// </summary>
    public static async Task<List<ErrorQueueEntry>> ScanAsync(
        IAmazonSQS sqs, string queueUrl, int max, Func<ErrorQueueEntry, bool> matches, int lookAtMost, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<ErrorQueueEntry>();
        var handles = new List<string>();
        try
        {
            while (kept.Count < max && seen.Count < lookAtMost)
            {
                var messages = await ReceiveAsync(sqs, queueUrl, Math.Min(max - kept.Count, lookAtMost - seen.Count), cancellationToken).ConfigureAwait(false);
                if (messages.Count == 0)
                {
                    break;
                }

                foreach (var message in messages)
                {
                    handles.Add(message.ReceiptHandle);
                    if (seen.Add(message.MessageId) && ErrorQueueEntry.From(message) is var entry && matches(entry))
                    {
                        kept.Add(entry);
                    }
                }
            }
        }
        finally
        {
            // Not the caller's token: a scan that was cancelled still hands back what it hid, or the consumer's
            // error-queue gauge and the next operator would miss those messages for a minute.
            foreach (var chunk in SqsBatches.Chunks(handles))
            {
                await sqs.ChangeMessageVisibilityBatchAsync(SqsBatches.Visibility(queueUrl, chunk, 0), CancellationToken.None).ConfigureAwait(false);
            }
        }

        return kept;
    }

    /// <summary>
    /// One receive from the error queue for the operator commands: up to <paramref name="max"/> (at most 10) messages with
    /// every attribute, hidden for 60 s, no long poll. Empty when the queue has nothing visible.
    /// </summary>
    public static async Task<List<Message>> ReceiveAsync(IAmazonSQS sqs, string queueUrl, long max, CancellationToken cancellationToken)
    {
        var response = await sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = (int)Math.Min(SqsBatches.MaxEntries, max),
                WaitTimeSeconds = 0,
                VisibilityTimeout = 60,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = SystemAttributes,
            },
            cancellationToken).ConfigureAwait(false);
        return response.Messages ?? [];
    }
}
