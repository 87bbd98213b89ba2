using System.CommandLine;
using LoginConsumer.Hosting;
using System.Globalization;
using System.Text.Json;
using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using Microsoft.Extensions.DependencyInjection;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>
/// Re-identification for whoever holds the key: prints the original of one AesGcmSiv value, for a stated reason.
/// Refuses under HmacSha256, whose values are one-way. Every attempt, allowed or refused, writes one JSON audit line
/// to standard error (field, key id, the masked value, OS user, reason, time, outcome); the original goes to standard
/// output only, and never into the audit line.
/// </summary>
public static class UnmaskCommand
{
    public const int MaxReasonLength = 500;

    public static Command Create()
    {
        var field = new Option<string>("--field") { Description = "Which column the value came from: ip or device_id.", Required = true };
        field.AcceptOnlyFromAmong(LoginFields.Ip, LoginFields.DeviceId);
        var value = new Option<string>("--value") { Description = "The masked value, as stored (\"<keyId>:e:<base64url>\").", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why this value is revealed (a ticket, a request): written to the audit line.", Required = true };
        var command = new Command("unmask", "Print the original of a value masked with Masking:Algorithm=AesGcmSiv (needs its key and a --reason).\nExample: LoginConsumer unmask --field ip --value k1:e:AbC… --reason TICKET-123") { field, value, reason };
        command.SetAction(parse => Execute(
            parse.GetValue(field) == LoginFields.Ip ? MaskedField.Ip : MaskedField.DeviceId,
            parse.GetValue(value)!,
            parse.GetValue(reason)!,
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            TimeProvider.System));
        return command;
    }

    private static int Execute(MaskedField field, string masked, string reason, TextWriter output, TextWriter error, TimeProvider time)
    {
        masked = masked.Trim();
        reason = reason.Trim();
        var keyId = Masker.Describe(masked)?.KeyId;
        if (reason.Length == 0 || reason.Length > MaxReasonLength)
        {
            var why = $"--reason must say why, in 1 to {MaxReasonLength} characters.";
            Audit(error, time, field, keyId, masked, reason, allowed: false, why);
            return CommandErrors.Refuse(error, "unmask refused: " + why, "name the ticket or request this value is revealed for, e.g. --reason TICKET-123", ExitCodes.Usage);
        }

        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddMasking();
        using var host = builder.Build();
        var masker = host.Services.GetRequiredService<Masker>();

        if (masker.Algorithm != MaskingAlgorithm.AesGcmSiv)
        {
            const string OneWay = "Masking:Algorithm is HmacSha256, which is one-way: its values cannot be turned back into the original by anyone, with or without the key.";
            Audit(error, time, field, keyId, masked, reason, allowed: false, OneWay + " Only values stored under Masking:Algorithm=AesGcmSiv can be unmasked.");
            return CommandErrors.Refuse(error, "unmask refused: " + OneWay, "only values stored under Masking:Algorithm=AesGcmSiv can be unmasked (docs/privacy.md)", ExitCodes.Failed);
        }

        if (!masker.TryUnmask(field, masked, out var original, out var refusal))
        {
            Audit(error, time, field, keyId, masked, reason, allowed: false, refusal);
            return CommandErrors.Refuse(error, "unmask refused: " + refusal, "check --field and --value (the value as stored), and that Masking:Keys holds the key it names", ExitCodes.Failed);
        }

        Audit(error, time, field, keyId, masked, reason, allowed: true, refusal: null);
        output.WriteLine(original);
        return ExitCodes.Done;
    }

    /// <summary>One JSON line per attempt. It names the value as stored (masked), never the original.</summary>
    private static void Audit(TextWriter error, TimeProvider time, MaskedField field, string? keyId, string masked, string reason, bool allowed, string? refusal)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", "unmask");
            json.WriteBoolean("allowed", allowed);
            json.WriteString("field", Masker.FieldName(field));
            json.WriteString("key_id", keyId);
            json.WriteString("masked_value", masked.Length <= 512 ? masked : masked[..512]);
            json.WriteString("os_user", Environment.UserName);
            json.WriteString("reason", reason.Length <= MaxReasonLength ? reason : reason[..MaxReasonLength]);
            json.WriteString("time", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            if (refusal is not null)
            {
                json.WriteString("refusal", refusal);
            }

            json.WriteEndObject();
        }

        error.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
