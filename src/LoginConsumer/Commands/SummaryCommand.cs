using System.CommandLine;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Persistence;
using LoginConsumer.Sqs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static System.FormattableString;

namespace LoginConsumer.Commands;

/// <summary>What a run left behind: rows stored, error-queue messages with their reasons, a few masked rows, and duplicate masked values.</summary>
public static class SummaryCommand
{
    private const int RowsShown = 5;

    public static Command Create()
    {
        var command = new Command("summary", "Print rows stored, error-queue reasons, a few masked rows and groups of duplicate masked values.");
        command.SetAction((_, cancellationToken) => ExecuteAsync(Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddLoginDatabase(LoginConsumerServiceCollectionExtensions.ConnectionStringName);
        builder.AddLoginSqs();
        using var host = builder.Build();
        var context = await host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>().CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            var logins = context.UserLogins.AsNoTracking();
            await output.WriteLineAsync(Invariant($"Rows in user_logins: {await logins.CountAsync(cancellationToken).ConfigureAwait(false)}")).ConfigureAwait(false);

            await output.WriteLineAsync($"A few rows (ip and device_id masked: <key id>:<HMAC-SHA256>, or <key id>:e:<AES-GCM-SIV> under AesGcmSiv):").ConfigureAwait(false);
            foreach (var row in await logins.OrderBy(x => x.MessageId).Take(RowsShown).ToListAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync(Invariant(
                    $"  {row.UserId} | {row.DeviceType ?? "NULL"} | {row.MaskedIp ?? "NULL"} | {row.MaskedDeviceId ?? "NULL"} | {row.Locale ?? "NULL"} | {row.AppVersionText ?? "NULL"} ({row.AppVersion?.ToString(CultureInfo.InvariantCulture) ?? "NULL"}) | {row.CreateDate:yyyy-MM-dd}"))
                    .ConfigureAwait(false);
            }

            var ipGroups = await logins.Where(x => x.MaskedIp != null).GroupBy(x => x.MaskedIp)
                .Where(g => g.Count() > 1).Select(g => new { Value = g.Key, Count = g.Count() })
                .OrderByDescending(g => g.Count).Take(RowsShown).ToListAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"Masked ips seen more than once (top {RowsShown}):")).ConfigureAwait(false);
            foreach (var group in ipGroups)
            {
                await output.WriteLineAsync(Invariant($"  {group.Value} × {group.Count}")).ConfigureAwait(false);
            }

            var deviceGroups = await logins.Where(x => x.MaskedDeviceId != null).GroupBy(x => x.MaskedDeviceId)
                .Where(g => g.Count() > 1).Select(g => new { Value = g.Key, Count = g.Count() })
                .OrderByDescending(g => g.Count).Take(RowsShown).ToListAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"Masked device ids seen more than once (top {RowsShown}):")).ConfigureAwait(false);
            foreach (var group in deviceGroups)
            {
                await output.WriteLineAsync(Invariant($"  {group.Value} × {group.Count}")).ConfigureAwait(false);
            }
        }

        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var queues = await host.Services.GetRequiredService<QueueTopology>().ResolveAsync(cancellationToken).ConfigureAwait(false);
        var errors = await ErrorQueueScanner.ScanAsync(sqs, queues.Error, 1000, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"Messages in the error queue: {errors.Count}{(errors.Count == 1000 ? " or more" : string.Empty)} (details: dlq stats, dlq peek)")).ConfigureAwait(false);
        foreach (var error in errors.Take(20))
        {
            await output.WriteLineAsync(Invariant($"  {error.OriginalMessageId}: {error.ReasonCode}: {error.Reason}")).ConfigureAwait(false);
        }

        return 0;
    }
}
