using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Persistence;
using LoginConsumer.Sqs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
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
            await output.WriteLineAsync(Invariant($"Rows in user_logins: {await context.CountAsync("SELECT count(*) FROM user_logins", [], cancellationToken).ConfigureAwait(false)}")).ConfigureAwait(false);

            await output.WriteLineAsync($"A few rows (ip and device_id masked: <key id>:<HMAC-SHA256>, or <key id>:e:<AES-GCM-SIV> under AesGcmSiv):").ConfigureAwait(false);
            var rows = await context.ReadAsync(
                    "SELECT message_id, user_id, device_type, masked_ip, masked_device_id, locale, app_version, app_version_text, create_date "
                    + "FROM user_logins ORDER BY message_id LIMIT @n",
                    [new NpgsqlParameter("n", RowsShown)],
                    ReadLogin,
                    cancellationToken)
                .ConfigureAwait(false);
            foreach (var row in rows)
            {
                await output.WriteLineAsync(Invariant(
                    $"  {row.UserId} | {row.DeviceType ?? "NULL"} | {row.MaskedIp ?? "NULL"} | {row.MaskedDeviceId ?? "NULL"} | {row.Locale ?? "NULL"} | {row.AppVersionText ?? "NULL"} ({row.AppVersion?.ToString(CultureInfo.InvariantCulture) ?? "NULL"}) | {row.CreateDate:yyyy-MM-dd}"))
                    .ConfigureAwait(false);
            }

            await WriteDuplicatesAsync(context, "masked_ip", "Masked ips", output, cancellationToken).ConfigureAwait(false);
            await WriteDuplicatesAsync(context, "masked_device_id", "Masked device ids", output, cancellationToken).ConfigureAwait(false);
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

    private static UserLogin ReadLogin(DbDataReader reader) => new()
    {
        MessageId = reader.GetString(0),
        UserId = reader.GetNullableString(1),
        DeviceType = reader.GetNullableString(2),
        MaskedIp = reader.GetNullableString(3),
        MaskedDeviceId = reader.GetNullableString(4),
        Locale = reader.GetNullableString(5),
        AppVersion = reader.IsDBNull(6) ? null : reader.GetInt32(6),
        AppVersionText = reader.GetNullableString(7),
        CreateDate = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateOnly>(8),
    };

    private static async Task WriteDuplicatesAsync(LoginDbContext context, string column, string title, TextWriter output, CancellationToken cancellationToken)
    {
        var groups = await context.ReadAsync(
                $"SELECT {column}, count(*) FROM user_logins WHERE {column} IS NOT NULL GROUP BY {column} HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT @n",
                [new NpgsqlParameter("n", RowsShown)],
                reader => Invariant($"  {reader.GetString(0)} × {reader.GetInt64(1)}"),
                cancellationToken)
            .ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"{title} seen more than once (top {RowsShown}):")).ConfigureAwait(false);
        foreach (var group in groups)
        {
            await output.WriteLineAsync(group).ConfigureAwait(false);
        }
    }
}
