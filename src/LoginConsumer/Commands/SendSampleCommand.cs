using System.CommandLine;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Sample;
using LoginConsumer.Sqs;
using Microsoft.Extensions.DependencyInjection;

namespace LoginConsumer.Commands;

/// <summary>Puts sample login events on login-queue as a producer would: bare JSON bodies, no envelope.</summary>
public static class SendSampleCommand
{
    public static readonly Option<int?> Count = new("--count")
    {
        Description = "Send N generated events (with deliberate duplicate ips and device ids and a few malformed messages) instead of the fixed 100-message sample.",
    };

    public static Command Create()
    {
        var command = new Command("send-sample", "Send sample messages to the queue.") { Count };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(parse.GetValue(Count), cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(int? count, CancellationToken cancellationToken)
    {
        if (count is < 1)
        {
            await Console.Error.WriteLineAsync("--count must be at least 1.").ConfigureAwait(false);
            return 2;
        }

        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddLoginSqs();
        using var host = builder.Build();
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var queues = await host.Services.GetRequiredService<QueueTopology>().ResolveAsync(cancellationToken).ConfigureAwait(false);
        var bodies = count is { } n ? SampleMessages.Generate(n, seed: 7) : SampleMessages.Fixed();
        var sent = await SendAllAsync(sqs, queues.Main, bodies, cancellationToken).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Sent {sent} messages to {queues.Main}"));
        return 0;
    }

    /// <summary>
    /// Sends <paramref name="bodies"/> 10 per SendMessageBatch, 8 batches at a time. <paramref name="delaySeconds"/>, if given,
    /// is asked once per batch, as it is sent, for that batch's DelaySeconds. Throws if any message is not sent.
    /// </summary>
    public static async Task<int> SendAllAsync(IAmazonSQS sqs, string queueUrl, IEnumerable<string> bodies, CancellationToken cancellationToken, Func<int>? delaySeconds = null)
    {
        var sent = 0;
        using var gate = new SemaphoreSlim(8);
        var batches = new List<Task<int>>();
        foreach (var chunk in bodies.Chunk(10))
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
                    new SendMessageBatchRequest
                    {
                        QueueUrl = queueUrl,
                        Entries = [.. chunk.Select((body, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), body) { DelaySeconds = delay })],
                    },
                    cancellationToken).ConfigureAwait(false);
                if (response.Failed is { Count: > 0 } failed)
                {
                    throw new InvalidOperationException($"{failed.Count} messages of a batch were not sent: {failed[0].Code} {failed[0].Message}");
                }

                return chunk.Length;
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
