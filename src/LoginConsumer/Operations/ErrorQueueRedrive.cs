using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Sqs;
using static System.FormattableString;

namespace LoginConsumer.Operations;

/// <summary>
/// Moves error-queue messages back to login-queue. Without --max it asks SQS for a message move task
/// (StartMessageMoveTask), which keeps message attributes, and falls back to its own loop where the endpoint does
/// not support that. The loop receives, sends a batch to login-queue carrying LC-Original-MessageId and
/// LC-Sent-Timestamp, and deletes from the error queue only what was sent. A crash between send and delete sends a
/// message twice, but both copies carry the same original id, and the consumer keys the row on it: one row.
/// </summary>
public static class ErrorQueueRedrive
{
    public static async Task<int> RunAsync(
        IAmazonSQS sqs, TransportAttributes signer, QueueUrls queues, int? max, int? rate, Func<long, IWorkProgress> progressFor, TextWriter output, CancellationToken cancellationToken)
    {
        if (max is < 1 || rate is < 1)
        {
            await output.WriteLineAsync("dlq redrive: --max and --rate must be at least 1.").ConfigureAwait(false);
            return 2;
        }

        var depth = await DepthAsync(sqs, queues.Error, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"dlq redrive: {depth} messages in the error queue")).ConfigureAwait(false);
        if (depth == 0)
        {
            return 0;
        }

        if (max is null && await TryMoveTaskAsync(sqs, queues, rate, depth, output, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        return await LoopAsync(sqs, signer, queues, max ?? int.MaxValue, rate, depth, progressFor, output, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> TryMoveTaskAsync(IAmazonSQS sqs, QueueUrls queues, int? rate, long depth, TextWriter output, CancellationToken cancellationToken)
    {
        var sourceArn = await ArnAsync(sqs, queues.Error, cancellationToken).ConfigureAwait(false);
        var destinationArn = await ArnAsync(sqs, queues.Main, cancellationToken).ConfigureAwait(false);
        try
        {
            await sqs.StartMessageMoveTaskAsync(
                new StartMessageMoveTaskRequest { SourceArn = sourceArn, DestinationArn = destinationArn, MaxNumberOfMessagesPerSecond = rate },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonSQSException ex) when (ex is not QueueDoesNotExistException)
        {
            await output.WriteLineAsync(Invariant($"dlq redrive: the endpoint refused StartMessageMoveTask ({ex.ErrorCode}); moving the messages itself")).ConfigureAwait(false);
            return false;
        }

        await output.WriteLineAsync("dlq redrive: started an SQS message move task").ConfigureAwait(false);
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            var tasks = await sqs.ListMessageMoveTasksAsync(new ListMessageMoveTasksRequest { SourceArn = sourceArn, MaxResults = 1 }, cancellationToken).ConfigureAwait(false);
            if (tasks.Results is not { Count: > 0 } results)
            {
                continue;
            }

            var task = results[0];
            var moved = task.ApproximateNumberOfMessagesMoved ?? 0;
            var total = task.ApproximateNumberOfMessagesToMove ?? depth;
            await output.WriteLineAsync(Invariant($"dlq redrive: {moved} of {total} moved ({Percent(moved, total)}%), {task.Status}")).ConfigureAwait(false);
            if (task.Status is "COMPLETED" or "FAILED" or "CANCELLED")
            {
                if (task.Status != "COMPLETED")
                {
                    throw new InvalidOperationException($"The message move task ended {task.Status}: {task.FailureReason}");
                }

                return true;
            }
        }
    }

    private static async Task<int> LoopAsync(
        IAmazonSQS sqs, TransportAttributes signer, QueueUrls queues, int max, int? rate, long depth, Func<long, IWorkProgress> progressFor, TextWriter output, CancellationToken cancellationToken)
    {
        // Bounded by what was there at the start: consumers may send poison straight back, and a loop that waited for an
        // empty error queue would then never end.
        var total = Math.Min(max, depth);
        var moved = 0;
        var failed = 0;
        var notDeleted = 0;
        var clock = Stopwatch.StartNew();
        var progress = progressFor(total);
        while (moved + failed < total)
        {
            var response = await sqs.ReceiveMessageAsync(
                new ReceiveMessageRequest
                {
                    QueueUrl = queues.Error,
                    MaxNumberOfMessages = (int)Math.Min(SqsBatches.MaxEntries, total - moved - failed),
                    WaitTimeSeconds = 0,
                    VisibilityTimeout = 60,
                    MessageAttributeNames = ["All"],
                    MessageSystemAttributeNames = [SqsAttributes.SentTimestampName],
                },
                cancellationToken).ConfigureAwait(false);
            if (response.Messages is not { Count: > 0 } messages)
            {
                break;
            }

            var sent = await sqs.SendMessageBatchAsync(
                SqsBatches.Send(queues.Main, messages.Select(m => (m.Body, (Dictionary<string, MessageAttributeValue>?)Carried(signer, m)))),
                cancellationToken).ConfigureAwait(false);

            // Only what login-queue accepted leaves the error queue; the rest shows up again after 60 s.
            var accepted = (sent.Successful ?? []).Select(s => messages[SqsBatches.Index(s.Id)]).ToList();
            failed += messages.Count - accepted.Count;
            if (accepted.Count > 0)
            {
                var deleted = await sqs.DeleteMessageBatchAsync(
                    SqsBatches.Delete(queues.Error, accepted.Select(m => m.ReceiptHandle)),
                    cancellationToken).ConfigureAwait(false);

                // Sent but still in the error queue: it shows up there again, and its row is keyed on the original id.
                notDeleted += deleted.Failed?.Count ?? 0;
            }

            moved += accepted.Count;
            if (rate is { } perSecond)
            {
                var due = TimeSpan.FromSeconds((double)moved / perSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
            }

            progress.Report(moved);
        }

        progress.Complete(moved);

        var refused = failed > 0 ? $", {failed} sends refused (still in the error queue)" : string.Empty;
        var undeleted = notDeleted > 0 ? $", {notDeleted} sent but not deleted from the error queue (they will show there again; each is stored once)" : string.Empty;
        await output.WriteLineAsync(Invariant($"dlq redrive: done: {moved - notDeleted} moved back to login-queue{refused}{undeleted}")).ConfigureAwait(false);
        return failed + notDeleted > 0 ? 1 : 0;
    }

    /// <summary>
    /// The row key and the producer's send time travel with the message, signed; the fault attributes stay behind. What
    /// the error-queue message itself carries is trusted only when signed: else its own id and SQS's send time are used.
    /// </summary>
    private static Dictionary<string, MessageAttributeValue> Carried(TransportAttributes signer, Message message)
    {
        var (rowKey, sent, _) = signer.Read(message);
        return signer.Sign(rowKey, sent);
    }

    private static async Task<long> DepthAsync(IAmazonSQS sqs, string url, CancellationToken cancellationToken)
    {
        var attributes = await sqs.GetQueueAttributesAsync(url, [QueueAttributeName.ApproximateNumberOfMessages], cancellationToken).ConfigureAwait(false);
        return attributes.ApproximateNumberOfMessages;
    }

    private static async Task<string> ArnAsync(IAmazonSQS sqs, string url, CancellationToken cancellationToken) =>
        (await sqs.GetQueueAttributesAsync(url, [QueueAttributeName.QueueArn], cancellationToken).ConfigureAwait(false)).QueueARN;

    private static long Percent(long part, long whole) => whole <= 0 ? 100 : Math.Min(100, part * 100 / whole);
}
