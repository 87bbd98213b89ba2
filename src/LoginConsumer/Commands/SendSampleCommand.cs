using System.CommandLine;
using System.Globalization;
using Amazon.SQS;
using LoginConsumer.Sample;
using LoginConsumer.Sqs;
using Microsoft.Extensions.DependencyInjection;

namespace LoginConsumer.Commands;

/// <summary>Puts sample login events on login-queue as a producer would: bare JSON bodies, no envelope.</summary>
public static class SendSampleCommand
{
    private static readonly Option<int?> Count = new Option<int?>("--count")
    {
        Description = "Send N generated events (with deliberate duplicate ips and device ids and a few malformed messages) instead of the fixed 100-message sample.",
    }.Within(1, int.MaxValue);

    public static Command Create()
    {
        var command = new Command("send-sample", "Send sample messages to the queue.\nExample: LoginConsumer send-sample --count 50000") { Count };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(parse.GetValue(Count), parse.InvocationConfiguration.Output, cancellationToken));
        return command;
    }

    private static async Task<int> ExecuteAsync(int? count, TextWriter output, CancellationToken cancellationToken)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddLoginSqs();
        using var host = builder.Build();
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var queues = await host.Services.GetRequiredService<QueueTopology>().ResolveAsync(cancellationToken).ConfigureAwait(false);
        var bodies = count is { } n ? SampleMessages.Generate(n, seed: 7) : SampleMessages.Fixed();
        var progress = count is { } total ? new ProgressLine(output, "send-sample", total, ProgressLine.IsTerminal(output), TimeProvider.System) : null;
        var sent = await SampleSender.SendAllAsync(sqs, queues.Main, bodies, cancellationToken, progress: progress is null ? null : progress.Report).ConfigureAwait(false);
        progress?.Complete(sent);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Sent {sent} messages to {queues.Main}")).ConfigureAwait(false);
        return 0;
    }
}
