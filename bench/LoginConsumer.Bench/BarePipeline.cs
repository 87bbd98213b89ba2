using System.Globalization;
using Amazon.SQS.Model;

namespace LoginConsumer.Bench;

/// <summary>(a) The emulator's ceiling: receivers that only receive 10 at a time and DeleteMessageBatch them, no processing.</summary>
public static class BarePipeline
{
    public static async Task<PipelineResult> RunAsync(BenchContext context, int messages, int receivers)
    {
        var (_, url) = await context.BacklogAsync("bare", messages);
        var remaining = messages;
        var measurement = new Measurement(context);

        await Task.WhenAll(Enumerable.Range(0, receivers).Select(async _ =>
        {
            while (Volatile.Read(ref remaining) > 0)
            {
                var response = await context.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = url, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 });
                if (response.Messages is not { Count: > 0 } received)
                {
                    continue;
                }

                await context.Sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
                {
                    QueueUrl = url,
                    Entries = [.. received.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))],
                });
                Interlocked.Add(ref remaining, -received.Count);
            }
        }));

        return measurement.Result("bare", messages, $"receivers {receivers}");
    }
}
