using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Masking;
using LoginConsumer.Operations;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static System.FormattableString;

namespace LoginConsumer.Commands;

/// <summary>
/// The error queue for operators: <c>dlq stats</c>, <c>dlq peek</c>, <c>dlq redrive</c> and <c>dlq purge</c>.
/// Nothing here prints a raw ip or device_id: bodies are shown field by field with those two masked.
/// </summary>
public static class DlqCommand
{
    private const int ScanLimit = 10_000;

    public static Command Create()
    {
        var command = new Command("dlq", "Inspect, redrive or purge the error queue (login-queue_error).\nExample: LoginConsumer dlq stats");
        command.Subcommands.Add(Stats());
        command.Subcommands.Add(Peek());
        command.Subcommands.Add(Redrive());
        command.Subcommands.Add(Purge());
        return command;
    }

    private static Command Stats()
    {
        var format = OutputFormat.Create();
        var command = new Command("stats", "Depth, age of the oldest message, and counts by reason.\nExample: LoginConsumer dlq stats -o json") { format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var host = BuildHost(masking: false);
            var keys = KeyIds.From(host.Services.GetRequiredService<IConfiguration>());
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var stats = await ErrorQueueStats.ReadAsync(sqs, queues.Error, ScanLimit, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            if (OutputFormat.IsJson(parse, format))
            {
                await OutputFormat.WriteAsync(output, new JsonObject
                {
                    ["queue"] = QueueName(queues.Error),
                    ["visible"] = stats.Visible,
                    ["in_flight"] = stats.InFlight,
                    ["oldest_age_seconds"] = stats.OldestAge is { } oldest ? Math.Round(oldest.TotalSeconds) : null,
                    ["scanned"] = stats.Scanned,
                    ["scan_capped"] = stats.ScanCapped,
                    ["by_reason"] = new JsonObject(stats.ByReason.Select(r => KeyValuePair.Create(r.ReasonCode, (JsonNode?)r.Count))),
                    ["by_signing_key"] = new JsonObject(stats.BySigningKey.Select(k => KeyValuePair.Create(k.KeyId, (JsonNode?)new JsonObject
                    {
                        ["count"] = k.Count,
                        ["state"] = keys.StateOf(k.KeyId),
                    }))),
                }).ConfigureAwait(false);
                return 0;
            }

            await output.WriteLineAsync(Invariant($"Error queue {QueueName(queues.Error)}: {stats.Visible} visible, {stats.InFlight} in flight")).ConfigureAwait(false);
            await output.WriteLineAsync(stats.OldestAge is { } age ? Invariant($"Oldest message: dead-lettered {Age(age)} ago") : "Empty.").ConfigureAwait(false);
            if (stats.Scanned > 0)
            {
                await output.WriteLineAsync(Invariant($"By reason ({stats.Scanned} scanned{(stats.ScanCapped ? ", more not counted" : string.Empty)}):")).ConfigureAwait(false);
                foreach (var (reason, count) in stats.ByReason)
                {
                    await output.WriteLineAsync(Invariant($"  {reason,-20} {count,7}")).ConfigureAwait(false);
                }

                await output.WriteLineAsync("By signing key (a key must stay in Masking:Keys while messages are signed under it):").ConfigureAwait(false);
                foreach (var (keyId, keyCount) in stats.BySigningKey)
                {
                    await output.WriteLineAsync(Invariant($"  {keyId,-20} {keyCount,7}  {keys.StateOf(keyId)}")).ConfigureAwait(false);
                }
            }

            return 0;
        });
        return command;
    }

    private static Command Peek()
    {
        var count = new Option<int>("--count", "-n") { Description = "How many messages to show.", DefaultValueFactory = _ => 10 }.Within(1, ScanLimit);
        var json = new Option<bool>("--json") { Description = "The same as -o json." };
        var format = OutputFormat.Create();
        var command = new Command("peek", "Show messages with their reasons; ip and device_id are masked. Nothing is removed.\nExample: LoginConsumer dlq peek -n 5 -o json") { count, json, format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;

            // With the masking keys, ip and device_id show as they would be stored; without them (on-call need not
            // hold the key), redacted.
            using var host = BuildHost(masking: null);
            var masker = host.Services.GetService<Masker>();
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var entries = await ErrorQueueScanner.ScanAsync(sqs, queues.Error, Math.Clamp(parse.GetValue(count), 1, ScanLimit), cancellationToken).ConfigureAwait(false);
            var shown = entries.Select(e => new JsonObject
            {
                ["sqs_message_id"] = e.SqsMessageId,
                ["original_message_id"] = e.OriginalMessageId,
                ["reason_code"] = e.ReasonCode,
                ["reason"] = e.Reason,
                ["receive_count"] = e.ReceiveCount,
                ["first_sent"] = e.FirstSent?.ToString("O", CultureInfo.InvariantCulture),
                ["dead_lettered"] = e.DeadLettered?.ToString("O", CultureInfo.InvariantCulture),
                ["body"] = ErrorQueueBodyView.Show(e.Body, masker),
            }).ToList();
            if (parse.GetValue(json) || OutputFormat.IsJson(parse, format))
            {
                await OutputFormat.WriteAsync(output, new JsonArray([.. shown])).ConfigureAwait(false);
                return 0;
            }

            await output.WriteLineAsync(Invariant($"{shown.Count} message(s) from {QueueName(queues.Error)}:")).ConfigureAwait(false);
            if (masker is null)
            {
                await output.WriteLineAsync("ip and device_id are redacted: no masking key is configured here (Masking:Keys).").ConfigureAwait(false);
            }
            foreach (var entry in shown)
            {
                await output.WriteLineAsync().ConfigureAwait(false);
                foreach (var (key, value) in entry)
                {
                    await output.WriteLineAsync(Invariant($"  {key,-20} {(value is JsonValue v ? v.ToString() : value?.ToJsonString() ?? "-")}")).ConfigureAwait(false);
                }
            }

            return 0;
        });
        return command;
    }

    private static Command Redrive()
    {
        var max = new Option<int?>("--max") { Description = "Move at most this many (then receive → send → delete is used)." }.Within(1, int.MaxValue);
        var rate = new Option<int?>("--rate") { Description = "Messages per second, at most." }.Within(1, int.MaxValue);
        var command = new Command(
            "redrive",
            "Move error-queue messages back to login-queue: receive → send → delete, with each message's original id and "
            + "send time signed on it, so none is stored twice or dated anew.\n"
            + "Example: LoginConsumer dlq redrive --rate 50")
        { max, rate };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The redriven messages carry their row key signed under the masking key ring: redrive needs the keys.
            using var host = BuildHost(masking: true);
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var output = parse.InvocationConfiguration.Output;
            var live = ProgressLine.IsTerminal(output);
            return await ErrorQueueRedrive.RunAsync(
                sqs,
                host.Services.GetRequiredService<MessageIdentity>(),
                host.Services.GetRequiredService<TransportAttributes>(),
                queues,
                parse.GetValue(max),
                parse.GetValue(rate),
                total => new ProgressLine(output, "dlq redrive", total, live, TimeProvider.System, "moved"),
                output,
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Purge()
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm: the messages are deleted for good." };
        var command = new Command("purge", "Delete every message in the error queue (asks for --yes).\nExample: LoginConsumer dlq purge -y") { yes };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!parse.GetValue(yes))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("dlq purge deletes every message in the error queue for good; run `dlq stats` first, then repeat with --yes.").ConfigureAwait(false);
                return 2;
            }

            using var host = BuildHost(masking: false);
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var before = await sqs.GetQueueAttributesAsync(queues.Error, [QueueAttributeName.ApproximateNumberOfMessages], cancellationToken).ConfigureAwait(false);
            await sqs.PurgeQueueAsync(queues.Error, cancellationToken).ConfigureAwait(false);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                Invariant($"Purged {QueueName(queues.Error)} (about {before.ApproximateNumberOfMessages} messages). SQS may take up to 60 s to finish.")).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>The SQS side, and the masking keys when <paramref name="masking"/> is true, or null and some are configured.</summary>
    private static IHost BuildHost(bool? masking)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddLoginSqs();
        if (masking ?? (builder.Configuration.GetSection(MaskingOptions.SectionName + ":Keys").GetChildren().Any() || builder.Environment.IsDevelopment()))
        {
            builder.AddMasking();
        }

        return builder.Build();
    }

    private static async Task<(IAmazonSQS Sqs, QueueUrls Queues)> ResolveAsync(IHost host, CancellationToken cancellationToken)
    {
        var queues = await host.Services.GetRequiredService<QueueTopology>().ResolveExistingAsync(cancellationToken).ConfigureAwait(false);
        return (host.Services.GetRequiredService<IAmazonSQS>(), queues);
    }

    /// <summary>The key ids configured here, read without the keys' material: stats needs no key.</summary>
    private sealed record KeyIds(HashSet<string> Configured, string? Active)
    {
        public static KeyIds From(IConfiguration configuration) => new(
            [.. configuration.GetSection(MaskingOptions.SectionName + ":Keys").GetChildren().Select(c => c.Key)],
            configuration[MaskingOptions.SectionName + ":ActiveKeyId"]);

        public string StateOf(string keyId) =>
            keyId == ErrorQueueEntry.NoSignature ? "no signed identity (moved by the RedrivePolicy: its SQS id is its original)"
            : Configured.Count == 0 ? "(no keys configured here)"
            : keyId == Active ? "active"
            : Configured.Contains(keyId) ? "verify only"
            : "NOT IN Masking:Keys: add it back before a redrive";
    }

    private static string QueueName(string url) => url[(url.LastIndexOf('/') + 1)..];

    private static string Age(TimeSpan age) => age.TotalDays >= 1 ? Invariant($"{age.TotalDays:F1} days") : age.TotalHours >= 1 ? Invariant($"{age.TotalHours:F1} hours") : Invariant($"{Math.Max(0, age.TotalSeconds):F0} s");
}
