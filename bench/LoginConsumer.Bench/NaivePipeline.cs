using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using LoginConsumer.Messaging;
using LoginConsumer.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LoginConsumer.Bench;

/// <summary>
/// (b) The usual shape of this exercise's public solutions: one message per receive, one SaveChanges per
/// row, one DeleteMessage per message, one at a time. It is two orders of magnitude slower, so it runs
/// for at most <c>maxTime</c> over the same backlog and reports the rate it reached; then, unless that
/// drained the backlog, it runs as long again, timed on its own. Its rate swings by up to 2× from one
/// window to the next, and neither is reliably the faster: run alone, with EF Core and the SDK still being
/// compiled, the second was faster in 6 of 7 runs; in bench.sh, after the bare loop, it was slower in 3 of 5.
/// The caller keeps the faster, as it keeps the bare loop's best receiver count.
/// </summary>
public static class NaivePipeline
{
    public static async Task<IReadOnlyList<PipelineResult>> RunAsync(BenchContext context, int messages, TimeSpan maxTime)
    {
        var (_, url) = await context.BacklogAsync("naive", messages);
        var options = new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql(context.ConnectionString).Options;
        var key = RandomNumberGenerator.GetBytes(32);
        var first = await RunWindowAsync(context, url, options, key, "naive", messages, maxTime);
        if (first.Messages == messages)
        {
            return [first];
        }

        return [first, await RunWindowAsync(context, url, options, key, "naive-2", messages - first.Messages, maxTime)];
    }

    private static async Task<PipelineResult> RunWindowAsync(
        BenchContext context, string url, DbContextOptions<LoginDbContext> options, byte[] key, string name, int messages, TimeSpan maxTime)
    {
        var measurement = new Measurement(context);
        var done = 0;
        while (done < messages && measurement.Elapsed < maxTime)
        {
            var response = await context.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = url,
                MaxNumberOfMessages = 1,
                WaitTimeSeconds = 1,
                MessageSystemAttributeNames = ["SentTimestamp"],
            });
            if (response.Messages is not [var message])
            {
                continue;
            }

            var login = JsonSerializer.Deserialize<LoginEvent>(message.Body)!;
            await using (var db = new LoginDbContext(options))
            {
                db.UserLogins.Add(new UserLogin
                {
                    MessageId = message.MessageId,
                    UserId = login.UserId,
                    DeviceType = login.DeviceType,
                    MaskedIp = login.Ip is null ? null : Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(login.Ip))),
                    MaskedDeviceId = login.DeviceId is null ? null : Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(login.DeviceId))),
                    Locale = login.Locale,
                    AppVersionText = login.AppVersion,
                    CreateDate = DateOnly.FromDateTime(DateTime.UtcNow),
                });
                await db.SaveChangesAsync();
            }

            await context.Sqs.DeleteMessageAsync(url, message.ReceiptHandle);
            done++;
        }

        return measurement.Result(name, done, done < messages ? $"time-boxed at {maxTime.TotalSeconds:F0} s" : "whole backlog");
    }
}
