using System.CommandLine;
using LoginConsumer.Masking;
using Microsoft.Extensions.DependencyInjection;

namespace LoginConsumer.Commands;

/// <summary>
/// Re-identification for whoever holds the key: prints the original of one AesGcmSiv value. Refuses under HmacSha256,
/// whose values are one-way. The original goes to standard output only; an audit line (without it) goes to standard error.
/// </summary>
public static class UnmaskCommand
{
    public static Command Create()
    {
        var field = new Option<string>("--field") { Description = "Which column the value came from: ip or device_id.", Required = true };
        field.AcceptOnlyFromAmong("ip", "device_id");
        var value = new Option<string>("--value") { Description = "The masked value, as stored (\"<keyId>:e:<base64url>\").", Required = true };
        var command = new Command("unmask", "Print the original of a value masked with Masking:Algorithm=AesGcmSiv (needs its key).") { field, value };
        command.SetAction(parse => Execute(
            parse.GetValue(field) == "ip" ? MaskedField.Ip : MaskedField.DeviceId,
            parse.GetValue(value)!,
            Console.Out,
            Console.Error));
        return command;
    }

    public static int Execute(MaskedField field, string masked, TextWriter output, TextWriter error)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddMasking();
        using var host = builder.Build();
        var masker = host.Services.GetRequiredService<Masker>();

        if (masker.Algorithm != MaskingAlgorithm.AesGcmSiv)
        {
            error.WriteLine(
                "unmask: refused. Masking:Algorithm is HmacSha256, which is one-way: its values cannot be turned back into the "
                + "original by anyone, with or without the key. Only values stored under Masking:Algorithm=AesGcmSiv can be unmasked.");
            return 1;
        }

        if (!masker.TryUnmask(field, masked.Trim(), out var original, out var reason))
        {
            error.WriteLine("unmask: " + reason);
            return 1;
        }

        var keyId = Masker.Describe(masked.Trim())?.KeyId;
        error.WriteLine($"unmask: revealed one {Masker.FieldName(field)} value made with key '{keyId}', for {Environment.UserName} at {DateTimeOffset.UtcNow:O}.");
        output.WriteLine(original);
        return 0;
    }
}
