using System.CommandLine;
using LoginConsumer.Hosting;
using System.Globalization;
using Amazon.SQS;
using LoginConsumer.Persistence;
using LoginConsumer.Sample;
using LoginConsumer.Sqs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>Puts sample login events on login-queue as a producer would: bare JSON bodies, no envelope.</summary>
public static class SendSampleCommand
{
    private static readonly Option<int?> Count = new Option<int?>("--count")
    {
        Description = "Send N generated events (with deliberate duplicate ips and device ids and a few malformed messages) instead of the fixed 100-message sample.",
    }.Within(1, int.MaxValue);

    private static readonly Option<bool> IfEmpty = new("--if-empty")
    {
        Description = "Send only when user_logins holds no row and login-queue no message, so that a script run on every start (docker compose up) sends the sample once.",
    };

    public static Command Create()
    {
        var command = new Command("send-sample", "Send sample messages to the queue.\nExample: LoginConsumer send-sample --count 50000") { Count, IfEmpty };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(parse.GetValue(Count), parse.GetValue(IfEmpty), parse.InvocationConfiguration.Output, cancellationToken));
        return command;
    }

    private static async Task<int> ExecuteAsync(int? count, bool ifEmpty, TextWriter output, CancellationToken cancellationToken)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddLoginSqs();
        if (ifEmpty)
        {
            builder.AddLoginDatabase(LoginConsumerServiceCollectionExtensions.ConnectionStringName);
        }

        using var host = builder.Build();
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var queues = await host.Services.GetRequiredService<QueueTopology>().ResolveAsync(cancellationToken).ConfigureAwait(false);
        if (ifEmpty && await WhatIsThereAsync(host.Services, sqs, queues.Main, cancellationToken).ConfigureAwait(false) is { } there)
        {
            await output.WriteLineAsync($"Sent nothing: {there} (--if-empty).").ConfigureAwait(false);
            return ExitCodes.Done;
        }

        var bodies = count is { } n ? SampleMessages.Generate(n, seed: 7) : SampleMessages.Fixed();
        var progress = count is { } total ? new ProgressLine(output, "send-sample", total, ProgressLine.IsTerminal(output), TimeProvider.System) : null;
        var sent = await SampleSender.SendAllAsync(sqs, queues.Main, bodies, cancellationToken, progress: progress is null ? null : progress.Report).ConfigureAwait(false);
        progress?.Complete(sent);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Sent {sent} messages to {queues.Main}")).ConfigureAwait(false);
        return ExitCodes.Done;
    }

    /// <summary>What already holds data, or null when both the table and login-queue are empty.</summary>
    private static async Task<string?> WhatIsThereAsync(IServiceProvider services, IAmazonSQS sqs, string queueUrl, CancellationToken cancellationToken)
    {
        var context = await services.GetRequiredService<IDbContextFactory<LoginDbContext>>().CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            if (await StoredLogins.AnyAsync(context, cancellationToken).ConfigureAwait(false))
            {
                return $"{UserLoginConfiguration.TableName} already holds rows";
            }
        }

        var attributes = await services.GetRequiredService<SqsCallPolicy>().RunAsync(
            "GetQueueAttributes",
            token => sqs.GetQueueAttributesAsync(queueUrl, [QueueAttributeName.ApproximateNumberOfMessages, QueueAttributeName.ApproximateNumberOfMessagesNotVisible, QueueAttributeName.ApproximateNumberOfMessagesDelayed], token),
            cancellationToken).ConfigureAwait(false);
        var waiting = attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible + attributes.ApproximateNumberOfMessagesDelayed;
        return waiting > 0 ? string.Create(CultureInfo.InvariantCulture, $"{queueUrl} already holds {waiting} messages") : null;
    }
}
