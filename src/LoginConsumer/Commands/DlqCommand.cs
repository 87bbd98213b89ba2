using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Masking;
using LoginConsumer.Sqs;
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
        var command = new Command("dlq", "Inspect, redrive or purge the error queue (login-queue_error).");
        command.Subcommands.Add(Stats());
        command.Subcommands.Add(Peek());
        command.Subcommands.Add(Redrive());
        command.Subcommands.Add(Purge());
        return command;
    }

    private static Command Stats()
    {
        var command = new Command("stats", "Depth, age of the oldest message, and counts by reason.");
        command.SetAction(async (_, cancellationToken) =>
        {
            using var host = BuildHost(masking: false);
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var attributes = await sqs.GetQueueAttributesAsync(
                queues.Error,
                [QueueAttributeName.ApproximateNumberOfMessages, QueueAttributeName.ApproximateNumberOfMessagesNotVisible],
                cancellationToken).ConfigureAwait(false);
            var entries = await ErrorQueueScanner.ScanAsync(sqs, queues.Error, ScanLimit, cancellationToken).ConfigureAwait(false);
            var now = DateTimeOffset.UtcNow;
            var oldest = entries.Select(e => e.DeadLettered ?? e.FirstSent).OfType<DateTimeOffset>().DefaultIfEmpty(now).Min();
            Console.WriteLine(Invariant($"Error queue {QueueName(queues.Error)}: {attributes.ApproximateNumberOfMessages} visible, {attributes.ApproximateNumberOfMessagesNotVisible} in flight"));
            Console.WriteLine(entries.Count == 0 ? "Empty." : Invariant($"Oldest message: dead-lettered {Age(now - oldest)} ago"));
            if (entries.Count > 0)
            {
                Console.WriteLine(Invariant($"By reason ({entries.Count} scanned{(entries.Count == ScanLimit ? ", more not counted" : string.Empty)}):"));
                foreach (var group in entries.GroupBy(e => e.ReasonCode).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
                {
                    Console.WriteLine(Invariant($"  {group.Key,-20} {group.Count(),7}"));
                }
            }

            return 0;
        });
        return command;
    }

    private static Command Peek()
    {
        var count = new Option<int>("--count", "-n") { Description = "How many messages to show.", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "One JSON array instead of text." };
        var command = new Command("peek", "Show messages with their reasons; ip and device_id are masked. Nothing is removed.") { count, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = BuildHost(masking: true);
            var masker = host.Services.GetRequiredService<Masker>();
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
                ["body"] = SafeBody(e.Body, masker),
            }).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(new JsonArray([.. shown]).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }

            Console.WriteLine(Invariant($"{shown.Count} message(s) from {QueueName(queues.Error)}:"));
            foreach (var entry in shown)
            {
                Console.WriteLine();
                foreach (var (key, value) in entry)
                {
                    Console.WriteLine(Invariant($"  {key,-20} {(value is JsonValue v ? v.ToString() : value?.ToJsonString() ?? "-")}"));
                }
            }

            return 0;
        });
        return command;
    }

    private static Command Redrive()
    {
        var max = new Option<int?>("--max") { Description = "Move at most this many (then receive → send → delete is used)." };
        var rate = new Option<int?>("--rate") { Description = "Messages per second, at most." };
        var command = new Command(
            "redrive",
            "Move error-queue messages back to login-queue. Uses SQS's StartMessageMoveTask where the endpoint supports it, "
            + "otherwise receive → send → delete; either way the row key travels with the message, so none is stored twice.")
        { max, rate };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // The redriven messages carry their row key signed under the masking key ring: redrive needs the keys.
            using var host = BuildHost(masking: true);
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            return await ErrorQueueRedrive.RunAsync(sqs, host.Services.GetRequiredService<TransportAttributes>(), queues, parse.GetValue(max), parse.GetValue(rate), Console.Out, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Purge()
    {
        var yes = new Option<bool>("--yes") { Description = "Confirm: the messages are deleted for good." };
        var command = new Command("purge", "Delete every message in the error queue (asks for --yes).") { yes };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!parse.GetValue(yes))
            {
                await Console.Error.WriteLineAsync("dlq purge deletes every message in the error queue for good; run `dlq stats` first, then repeat with --yes.").ConfigureAwait(false);
                return 2;
            }

            using var host = BuildHost(masking: false);
            var (sqs, queues) = await ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            var before = await sqs.GetQueueAttributesAsync(queues.Error, [QueueAttributeName.ApproximateNumberOfMessages], cancellationToken).ConfigureAwait(false);
            await sqs.PurgeQueueAsync(queues.Error, cancellationToken).ConfigureAwait(false);
            Console.WriteLine(Invariant($"Purged {QueueName(queues.Error)} (about {before.ApproximateNumberOfMessages} messages). SQS may take up to 60 s to finish."));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// A body as operators may see it: a login event's known fields with ip and device_id masked (as stored, with the
    /// active key), other fields by name only; anything else by size only.
    /// </summary>
    public static JsonNode SafeBody(string body, Masker masker)
    {
        JsonDocument document;
        try
        {
            // JsonDocument, not JsonNode: a body that repeats a key is shown (as repeated), not a failure of the whole list.
            document = JsonDocument.Parse(SqsBody.Unwrap(body));
        }
        catch (JsonException)
        {
            return NotShown(body);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return NotShown(body);
            }

            var safe = new JsonObject();
            var others = new JsonArray();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var name = property.Name;
                var shown = name.ToLowerInvariant() switch
                {
                    "ip" => Masked(MaskedField.Ip, property.Value, masker),
                    "device_id" => Masked(MaskedField.DeviceId, property.Value, masker),
                    "user_id" or "device_type" or "locale" or "app_version" =>
                        property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: <= 200 } text ? text : "(not a short string)",
                    _ => null,
                };
                if (!IsLoginField(name))
                {
                    others.Add((JsonNode)(name.Length <= 64 ? name : name[..64] + "…"));
                }
                else if (safe.ContainsKey(name))
                {
                    safe[name] = "(given more than once)";
                }
                else
                {
                    safe[name] = shown;
                }
            }

            if (others.Count > 0)
            {
                safe["other_fields"] = others;
            }

            return safe;
        }
    }

    private static bool IsLoginField(string name) => name.ToLowerInvariant() is "ip" or "device_id" or "user_id" or "device_type" or "locale" or "app_version";

    private static JsonValue NotShown(string body) => JsonValue.Create(Invariant($"(not a JSON object: {body.Length} characters, not shown)"));

    private static JsonNode? Masked(MaskedField field, JsonElement value, Masker masker)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { } text)
        {
            return "(not a string)";
        }

        if (field == MaskedField.Ip && IpCanonicalizer.TryCanonicalize(text, out var canonical))
        {
            text = canonical;
        }

        try
        {
            return masker.Mask(field, text);
        }
        catch (ArgumentException)
        {
            return "(too long to mask)";
        }
    }

    private static IHost BuildHost(bool masking)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddLoginSqs();
        if (masking)
        {
            builder.AddMasking();
        }

        return builder.Build();
    }

    private static async Task<(IAmazonSQS Sqs, QueueUrls Queues)> ResolveAsync(IHost host, CancellationToken cancellationToken)
    {
        var queues = await host.Services.GetRequiredService<QueueTopology>().ResolveAsync(cancellationToken).ConfigureAwait(false);
        return (host.Services.GetRequiredService<IAmazonSQS>(), queues);
    }

    private static string QueueName(string url) => url[(url.LastIndexOf('/') + 1)..];

    private static string Age(TimeSpan age) => age.TotalDays >= 1 ? Invariant($"{age.TotalDays:F1} days") : age.TotalHours >= 1 ? Invariant($"{age.TotalHours:F1} hours") : Invariant($"{Math.Max(0, age.TotalSeconds):F0} s");
}
