using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Hosting;
using LoginConsumer.Masking;
using LoginConsumer.Operations;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static System.FormattableString;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>
/// The error queue for operators: <c>dlq stats</c>, <c>dlq peek</c>, <c>dlq redrive</c> and <c>dlq purge</c>.
/// Nothing here prints a raw ip or device_id: bodies are shown field by field with those two masked.
/// </summary>
public static partial class DlqCommand
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
                return ExitCodes.Done;
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

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Peek()
    {
        var count = new Option<int>("--count", "-n") { Description = "How many messages to show.", DefaultValueFactory = _ => 10 }.Within(1, ScanLimit);
        var json = new Option<bool>("--json") { Description = "The same as -o json." };
        var format = OutputFormat.Create();
        var (reasons, olderThan) = FilterOptions();
        var command = new Command("peek", "Show messages with their reasons; ip and device_id are masked. Nothing is removed.\nExample: LoginConsumer dlq peek -n 5 --reason invalid_ip -o json") { count, json, format, reasons, olderThan };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;

            // With the masking keys, ip and device_id show as they would be stored; without them (on-call need not
            // hold the key), redacted.
            using var host = BuildHost(masking: null);
            var masker = host.Services.GetService<Masker>();
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var filter = FilterFrom(parse, reasons, olderThan);
            var wanted = Math.Clamp(parse.GetValue(count), 1, ScanLimit);
            var now = TimeProvider.System.GetUtcNow();
            var entries = await ErrorQueueScanner.ScanAsync(sqs, queues.Error, wanted, e => filter.Matches(e, now), ScanLimit, cancellationToken).ConfigureAwait(false);
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
                return ExitCodes.Done;
            }

            await output.WriteLineAsync(Invariant($"{shown.Count} message(s) from {QueueName(queues.Error)}{(filter.IsEverything ? string.Empty : ", " + filter)}:")).ConfigureAwait(false);
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

            return ExitCodes.Done;
        });
        return command;
    }

    private static Command Redrive()
    {
        var max = new Option<int?>("--max") { Description = "Move at most this many." }.Within(1, int.MaxValue);
        var rate = new Option<int?>("--rate") { Description = "Messages per second, at most." }.Within(1, int.MaxValue);
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be moved and left, by reason; move nothing." };
        var (reasons, olderThan) = FilterOptions();
        var command = new Command(
            "redrive",
            "Move error-queue messages back to login-queue: receive → send → delete, with each message's original id and "
            + "send time signed on it, so none is stored twice or dated anew. Writes one JSON audit line to standard error.\n"
            + "Example: LoginConsumer dlq redrive --reason rejected_by_database --older-than 1h --dry-run")
        { max, rate, dryRun, reasons, olderThan };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var filter = FilterFrom(parse, reasons, olderThan);
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(dryRun))
            {
                using var scanHost = BuildHost(masking: false);
                var (scanSqs, scanQueues) = await ResolveAsync(scanHost, cancellationToken).ConfigureAwait(false);
                return await DryRunAsync("dlq_redrive", "moved", "move", scanSqs, scanQueues.Error, filter, output, error, cancellationToken).ConfigureAwait(false);
            }

            // The redriven messages carry their row key signed under the masking key ring: redrive needs the keys.
            using var host = BuildHost(masking: true);
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var live = ProgressLine.IsTerminal(output);
            var outcome = await ErrorQueueRedrive.RunAsync(
                sqs,
                host.Services.GetRequiredService<MessageIdentity>(),
                host.Services.GetRequiredService<TransportAttributes>(),
                queues,
                filter,
                parse.GetValue(max),
                parse.GetValue(rate),
                TimeProvider.System,
                total => new ProgressLine(output, "dlq redrive", total, live, TimeProvider.System, "moved"),
                output,
                cancellationToken).ConfigureAwait(false);
            var exitCode = outcome.LeftSomePicked ? ExitCodes.Failed : ExitCodes.Done;
            OperatorAudit.Write(error, "dlq_redrive", "moved", QueueName(queues.Error), filter, dryRun: false, outcome.Moved, outcome.Left, exitCode, TimeProvider.System);
            return exitCode;
        });
        return command;
    }

    private static Command Purge()
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Confirm: the messages are deleted for good." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be deleted and left, by reason; delete nothing." };
        var (reasons, olderThan) = FilterOptions();
        var command = new Command(
            "purge",
            "Delete error-queue messages for good: all of them, or those --reason and --older-than pick (asks for --yes). "
            + "Writes one JSON audit line to standard error.\nExample: LoginConsumer dlq purge --reason not_login_event --older-than 7d -y")
        { yes, dryRun, reasons, olderThan };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var filter = FilterFrom(parse, reasons, olderThan);
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (!parse.GetValue(yes) && !parse.GetValue(dryRun))
            {
                await error.WriteLineAsync("error: dlq purge deletes " + (filter.IsEverything ? "every message in the error queue" : "the messages it picks") + " for good, and --yes was not given.").ConfigureAwait(false);
                await error.WriteLineAsync("hint: see what it would delete with --dry-run (or dlq stats), then repeat with --yes").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            using var host = BuildHost(masking: false);
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var name = QueueName(queues.Error);
            if (parse.GetValue(dryRun))
            {
                return await DryRunAsync("dlq_purge", "purged", "delete", sqs, queues.Error, filter, output, error, cancellationToken).ConfigureAwait(false);
            }

            if (filter.IsEverything)
            {
                // SQS's PurgeQueue: all at once, however deep. The audit line counts by reason what a scan saw first.
                var before = await sqs.GetQueueAttributesAsync(queues.Error, [QueueAttributeName.ApproximateNumberOfMessages], cancellationToken).ConfigureAwait(false);
                var (seen, _) = await TallyAsync(sqs, queues.Error, filter, cancellationToken).ConfigureAwait(false);
                await sqs.PurgeQueueAsync(queues.Error, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(Invariant($"Purged {name} (about {before.ApproximateNumberOfMessages} messages). SQS may take up to 60 s to finish.")).ConfigureAwait(false);
                OperatorAudit.Write(error, "dlq_purge", "purged", name, filter, dryRun: false, seen, new ReasonTally(), 0, TimeProvider.System);
                return ExitCodes.Done;
            }

            var (purged, left) = await ErrorQueuePurge.DeleteMatchingAsync(sqs, queues.Error, filter, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"dlq purge: deleted {purged.Total} from {name} ({filter}): {purged}; left {left.Total}: {left}")).ConfigureAwait(false);
            OperatorAudit.Write(error, "dlq_purge", "purged", name, filter, dryRun: false, purged, left, 0, TimeProvider.System);
            return ExitCodes.Done;
        });
        return command;
    }

    /// <summary>--reason (repeatable) and --older-than, on peek, redrive and purge.</summary>
    private static (Option<string[]> Reasons, Option<TimeSpan?> OlderThan) FilterOptions()
    {
        var reasons = new Option<string[]>("--reason")
        {
            Description = "Only messages with this reason code (as dlq stats lists them); repeat for several.",
            AllowMultipleArgumentsPerToken = false,
        };
        reasons.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => !ReasonCode().IsMatch(t.Value)))
            {
                result.AddError($"--reason: '{token.Value}' is not a reason code: codes are lower case words joined by '_', e.g. invalid_ip (dlq stats lists those in the queue).");
            }
        });
        var olderThan = new Option<TimeSpan?>("--older-than")
        {
            Description = "Only messages dead-lettered at least this long ago, e.g. 90s, 2m, 1h, 7d.",
            CustomParser = result => Duration.Parse(result),
        };
        return (reasons, olderThan);
    }

    private static ErrorQueueFilter FilterFrom(ParseResult parse, Option<string[]> reasons, Option<TimeSpan?> olderThan) =>
        new(new HashSet<string>(parse.GetValue(reasons) ?? [], StringComparer.Ordinal), parse.GetValue(olderThan));

    private static async Task<(ReasonTally Matching, ReasonTally Other)> TallyAsync(IAmazonSQS sqs, string errorQueueUrl, ErrorQueueFilter filter, CancellationToken cancellationToken)
    {
        var entries = await ErrorQueueScanner.ScanAsync(sqs, errorQueueUrl, ScanLimit, cancellationToken).ConfigureAwait(false);
        var now = TimeProvider.System.GetUtcNow();
        var (matching, other) = (new ReasonTally(), new ReasonTally());
        foreach (var entry in entries)
        {
            (filter.Matches(entry, now) ? matching : other).Add(entry.ReasonCode);
        }

        return (matching, other);
    }

    private static async Task<int> DryRunAsync(
        string action, string verb, string doing, IAmazonSQS sqs, string errorQueueUrl, ErrorQueueFilter filter, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var (matching, other) = await TallyAsync(sqs, errorQueueUrl, filter, cancellationToken).ConfigureAwait(false);
        var capped = matching.Total + other.Total >= ScanLimit ? Invariant($" (the first {ScanLimit} looked at)") : string.Empty;
        await output.WriteLineAsync(Invariant($"{action.Replace('_', ' ')} --dry-run: would {doing} {matching.Total} ({filter}): {matching}")).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"{action.Replace('_', ' ')} --dry-run: would leave {other.Total}: {other}{capped}. Nothing was changed.")).ConfigureAwait(false);
        OperatorAudit.Write(error, action, verb, QueueName(errorQueueUrl), filter, dryRun: true, matching, other, 0, TimeProvider.System);
        return ExitCodes.Done;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial System.Text.RegularExpressions.Regex ReasonCode();

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
