using System.CommandLine;
using LoginConsumer.Hosting;
using LoginConsumer.Masking;
using LoginConsumer.Operations;
using LoginConsumer.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>
/// <c>rekey</c> (<see cref="Rekey"/>). Needs UPDATE on user_logins: it runs with the owner's connection
/// (ConnectionStrings:LoginDbMigrations, else LoginDb), never as the runtime role.
/// </summary>
public static class RekeyCommand
{
    public static Command Create()
    {
        var batchSize = new Option<int>("--batch-size") { Description = "Rows per transaction.", DefaultValueFactory = _ => 1000 }.Within(1, 100_000);
        var limit = new Option<int?>("--limit") { Description = "Stop after this many rows (a later run carries on)." }.Within(1, int.MaxValue);
        var command = new Command("rekey", "Re-encrypt stored AesGcmSiv values under Masking:ActiveKeyId, in resumable batches.\nExample: LoginConsumer rekey --batch-size 5000") { batchSize, limit };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(
            parse.GetValue(batchSize), parse.GetValue(limit), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static async Task<int> ExecuteAsync(int batchSize, int? limit, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddMasking();
        builder.AddLoginDatabase(LoginConsumerServiceCollectionExtensions.MigrationConnectionStringName);
        using var host = builder.Build();
        var masker = host.Services.GetRequiredService<Masker>();
        if (masker.Algorithm != MaskingAlgorithm.AesGcmSiv)
        {
            return CommandErrors.Refuse(
                error,
                "rekey refused: Masking:Algorithm is HmacSha256, and one-way values cannot be re-computed without their originals.",
                "only values stored under Masking:Algorithm=AesGcmSiv can be re-keyed; docs/privacy.md says how to compare HMAC values across a rotation",
                ExitCodes.Failed);
        }

        var context = await host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>().CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            var ring = host.Services.GetRequiredService<KeyRing>();
            var live = ProgressLine.IsTerminal(output);
            return await Rekey.RunAsync(
                context,
                masker,
                ring,
                batchSize,
                limit,
                total => new ProgressLine(output, "rekey", total, live, TimeProvider.System, $"rows re-encrypted under '{ring.Active.Id}'"),
                output,
                error,
                cancellationToken).ConfigureAwait(false)
                ? ExitCodes.Done
                : ExitCodes.Failed;
        }
    }
}
