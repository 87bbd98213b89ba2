using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Sqs;
using static System.FormattableString;

namespace LoginConsumer.Operations;

/// <summary>
/// Moves error-queue messages back to login-queue by its own loop: receive, send a batch to login-queue carrying the
/// message's identity (MessageIdentity: its row key and send time) signed, and delete from the error queue only what
/// was sent. SQS's own message move task (the console's redrive) is never used: every message it moves is a new
/// message with a new MessageId and SentTimestamp, so a message SQS's RedrivePolicy dead-lettered (which carries no
/// signed attributes) would be keyed and dated anew. A crash between send and delete sends a message twice, but both
/// copies carry the same signed identity: one row. A message signed under a key the ring no longer holds, or whose
/// SNS signature cannot be checked now, is left where it is and reported.
/// </summary>
public static class ErrorQueueRedrive
{
    /// <summary>What a redrive did: the messages moved and left, by reason code, and whether any it picked was left (refused, not deleted, or not verifiable now).</summary>
    public sealed record Outcome(bool LeftSomePicked, ReasonTally Moved, ReasonTally Left);

    public static async Task<Outcome> RunAsync(
        IAmazonSQS sqs, MessageIdentity identity, TransportAttributes signer, QueueUrls queues, ErrorQueueFilter filter, int? max, int? rate, TimeProvider time, Func<long, IWorkProgress> progressFor, TextWriter output, CancellationToken cancellationToken)
    {
        var depth = await DepthAsync(sqs, queues.Error, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"dlq redrive: {depth} messages in the error queue; moving {filter}")).ConfigureAwait(false);
        if (depth == 0)
        {
            return new Outcome(false, new ReasonTally(), new ReasonTally());
        }

        return await LoopAsync(sqs, identity, signer, queues, filter, max ?? int.MaxValue, rate, depth, time, progressFor, output, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Outcome> LoopAsync(
        IAmazonSQS sqs, MessageIdentity identity, TransportAttributes signer, QueueUrls queues, ErrorQueueFilter filter, int max, int? rate, long depth, TimeProvider time, Func<long, IWorkProgress> progressFor, TextWriter output, CancellationToken cancellationToken)
    {
        // Bounded by what was there at the start: consumers may send poison straight back, and a loop that waited for an
        // empty error queue would then never end. Messages the filter passes over are held until the end, so that each
        // is looked at once.
        var moved = new ReasonTally();
        var left = new ReasonTally();
        var seen = 0L;
        var failed = 0;
        var notDeleted = 0;
        var release = new List<string>();
        var unknownKeys = new SortedSet<string>(StringComparer.Ordinal);
        var unknownKeyCount = 0;
        var unverifiable = 0;
        var clock = Stopwatch.StartNew();
        var progress = progressFor(Math.Min(max, depth));
        try
        {
            while (seen < depth && moved.Total < max)
            {
                var messages = await ErrorQueueScanner.ReceiveAsync(sqs, queues.Error, Math.Min(depth - seen, max - moved.Total), cancellationToken).ConfigureAwait(false);
                if (messages.Count == 0)
                {
                    break;
                }

                seen += messages.Count;
                var now = time.GetUtcNow();
                var outgoing = new List<(Message Message, string Reason, Dictionary<string, MessageAttributeValue> Attributes)>(messages.Count);
                foreach (var message in messages)
                {
                    var entry = ErrorQueueEntry.From(message);
                    if (!filter.Matches(entry, now))
                    {
                        left.Add(entry.ReasonCode);
                        release.Add(message.ReceiptHandle);
                        continue;
                    }

                    MessageIdentity.Identity id;
                    try
                    {
                        SqsBody.Unwrap(message.Body, out var envelope);
                        id = await identity.ResolveAsync(message, envelope, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception) when (!cancellationToken.IsCancellationRequested)
                    {
                        unverifiable++;
                        left.Add(entry.ReasonCode);
                        release.Add(message.ReceiptHandle);
                        continue;
                    }

                    if (id.Verdict == TransportAttributes.Verdict.UnknownKey)
                    {
                        unknownKeys.Add(TransportAttributes.SigningKeyId(message)!);
                        unknownKeyCount++;
                        left.Add(entry.ReasonCode);
                        release.Add(message.ReceiptHandle);
                        continue;
                    }

                    outgoing.Add((message, entry.ReasonCode, signer.Sign(id.RowKey, id.SentTimestampMs)));
                }

                foreach (var chunk in SqsBatches.Chunks(outgoing, m => SqsBatches.Size(m.Message.Body, m.Attributes)))
                {
                    var sent = await sqs.SendMessageBatchAsync(
                        SqsBatches.Send(queues.Main, chunk.Select(m => (m.Message.Body, (Dictionary<string, MessageAttributeValue>?)m.Attributes))),
                        cancellationToken).ConfigureAwait(false);

                    // Only what login-queue accepted leaves the error queue; the rest shows up again after 60 s.
                    var acceptedAt = (sent.Successful ?? []).Select(s => SqsBatches.Index(s.Id)).ToHashSet();
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        (acceptedAt.Contains(i) ? moved : left).Add(chunk[i].Reason);
                    }

                    failed += chunk.Length - acceptedAt.Count;
                    if (acceptedAt.Count > 0)
                    {
                        var deleted = await sqs.DeleteMessageBatchAsync(
                            SqsBatches.Delete(queues.Error, acceptedAt.Order().Select(i => chunk[i].Message.ReceiptHandle)),
                            cancellationToken).ConfigureAwait(false);

                        // Sent but still in the error queue: it shows up there again, and its row is keyed on the original id.
                        notDeleted += deleted.Failed?.Count ?? 0;
                    }
                }

                if (rate is { } perSecond)
                {
                    var due = TimeSpan.FromSeconds((double)moved.Total / perSecond) - clock.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                    }
                }

                progress.Report(moved.Total);
            }
        }
        finally
        {
            // What stays behind is visible again at once, for the next run and the consumer's error-queue gauge.
            foreach (var chunk in SqsBatches.Chunks(release))
            {
                await sqs.ChangeMessageVisibilityBatchAsync(SqsBatches.Visibility(queues.Error, chunk, 0), CancellationToken.None).ConfigureAwait(false);
            }
        }

        progress.Complete(moved.Total);

        var refused = failed > 0 ? $", {failed} sends refused (still in the error queue)" : string.Empty;
        var undeleted = notDeleted > 0 ? $", {notDeleted} sent but not deleted from the error queue (they will show there again; each is stored once)" : string.Empty;
        var passedOver = filter.IsEverything ? string.Empty : Invariant($", {left.Total - failed - unknownKeyCount - unverifiable} left that the filter passed over");
        await output.WriteLineAsync(Invariant($"dlq redrive: done: {moved.Total - notDeleted} moved back to login-queue{refused}{undeleted}{passedOver}")).ConfigureAwait(false);
        if (unknownKeys.Count > 0)
        {
            await output.WriteLineAsync(Invariant(
                $"dlq redrive: left {unknownKeyCount} signed under key(s) {string.Join(", ", unknownKeys)} that Masking:Keys does not hold: moved now they would be stored as new rows. Add the key(s) back (they verify only while another key is active) and run again.")).ConfigureAwait(false);
        }

        if (unverifiable > 0)
        {
            await output.WriteLineAsync(Invariant(
                $"dlq redrive: left {unverifiable} SNS notifications whose signature could not be checked now (SNS's signing certificate out of reach); run again.")).ConfigureAwait(false);
        }

        return new Outcome(failed + notDeleted + unknownKeyCount + unverifiable > 0, moved, left);
    }

    private static async Task<long> DepthAsync(IAmazonSQS sqs, string url, CancellationToken cancellationToken)
    {
        var attributes = await sqs.GetQueueAttributesAsync(url, [QueueAttributeName.ApproximateNumberOfMessages], cancellationToken).ConfigureAwait(false);
        return attributes.ApproximateNumberOfMessages;
    }
}
