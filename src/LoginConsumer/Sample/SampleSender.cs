using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Sqs;

namespace LoginConsumer.Sample;

/// <summary>Sends bodies to a queue as a producer would, batched: for send-sample, the tests and the bench.</summary>
public static class SampleSender
{
    /// <summary>
    /// Sends <paramref name="bodies"/> 10 per SendMessageBatch, 8 batches at a time. <paramref name="delaySeconds"/>, if given,
    /// is asked once per batch, as it is sent, for that batch's DelaySeconds. <paramref name="progress"/>, if given, is
    /// told the running total after each batch. Throws if any message is not sent.
    /// </summary>
    public static async Task<int> SendAllAsync(
        IAmazonSQS sqs, string queueUrl, IEnumerable<string> bodies, CancellationToken cancellationToken, Func<int>? delaySeconds = null, Action<long>? progress = null)
    {
        long confirmed = 0;
        var sent = 0;
        using var gate = new SemaphoreSlim(8);
        var batches = new List<Task<int>>();
        foreach (var chunk in SqsBatches.Chunks(bodies))
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            batches.Add(SendBatchAsync(chunk, delaySeconds?.Invoke()));
        }

        foreach (var batch in batches)
        {
            sent += await batch.ConfigureAwait(false);
        }

        return sent;

        async Task<int> SendBatchAsync(string[] chunk, int? delay)
        {
            try
            {
                var response = await sqs.SendMessageBatchAsync(
                    SqsBatches.Send(queueUrl, chunk.Select(body => (body, (Dictionary<string, MessageAttributeValue>?)null)), delay),
                    cancellationToken).ConfigureAwait(false);
                if (response.Failed is { Count: > 0 } failed)
                {
                    throw new InvalidOperationException($"{failed.Count} messages of a batch were not sent: {failed[0].Code} {failed[0].Message}");
                }

                progress?.Invoke(Interlocked.Add(ref confirmed, chunk.Length));
                return chunk.Length;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
