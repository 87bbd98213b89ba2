using System.CommandLine;
using LoginConsumer.Hosting;
using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.SQS;
using LoginConsumer.Masking;
using LoginConsumer.Operations;
using LoginConsumer.Persistence;
using LoginConsumer.Sqs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static System.FormattableString;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>What a run left behind: rows stored, error-queue messages with their reasons, a few masked rows, and duplicate masked values.</summary>
public static class SummaryCommand
{
    private const int RowsShown = 5;
    private const int ErrorsScanned = 1000;
    private const int ErrorsShown = 20;

    public static Command Create()
    {
        var format = OutputFormat.Create();
        var command = new Command("summary", "Print rows stored, error-queue reasons, a few masked rows and groups of duplicate masked values.\nExample: LoginConsumer summary -o json") { format };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(OutputFormat.IsJson(parse, format), parse.InvocationConfiguration.Output, cancellationToken));
        return command;
    }

    private static async Task<int> ExecuteAsync(bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddLoginDatabase(LoginConsumerServiceCollectionExtensions.ConnectionStringName);
        builder.AddLoginSqs();
        using var host = builder.Build();
        var context = await host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>().CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await using (context.ConfigureAwait(false))
            {
                await OutputFormat.WriteAsync(output, await ReadAsJsonAsync(host, context, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return ExitCodes.Done;
            }
        }

        await using (context.ConfigureAwait(false))
        {
            await output.WriteLineAsync(Invariant($"Rows in {UserLoginConfiguration.TableName}: {await StoredLogins.CountAsync(context, cancellationToken).ConfigureAwait(false)}")).ConfigureAwait(false);

            await output.WriteLineAsync($"A few rows (ip and device_id masked: <key id>:<HMAC-SHA256>, or <key id>{Masker.EncryptedInfix}<AES-GCM-SIV> under AesGcmSiv):").ConfigureAwait(false);
            foreach (var row in await StoredLogins.FirstAsync(context, RowsShown, cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync(Invariant(
                    $"  {row.UserId} | {row.DeviceType ?? "NULL"} | {row.MaskedIp ?? "NULL"} | {row.MaskedDeviceId ?? "NULL"} | {row.Locale ?? "NULL"} | {row.AppVersionText ?? "NULL"} ({row.AppVersion?.ToString(CultureInfo.InvariantCulture) ?? "NULL"}) | {row.CreateDate:yyyy-MM-dd}"))
                    .ConfigureAwait(false);
            }

            await WriteDuplicatesAsync(context, MaskedField.Ip, "Masked ips", output, cancellationToken).ConfigureAwait(false);
            await WriteDuplicatesAsync(context, MaskedField.DeviceId, "Masked device ids", output, cancellationToken).ConfigureAwait(false);
        }

        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var queues = await host.Services.GetRequiredService<QueueTopology>().ResolveExistingAsync(cancellationToken).ConfigureAwait(false);
        var errors = await ErrorQueueScanner.ScanAsync(sqs, queues.Error, ErrorsScanned, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"Messages in the error queue: {errors.Count}{(errors.Count == ErrorsScanned ? " or more" : string.Empty)} (details: dlq stats, dlq peek)")).ConfigureAwait(false);
        foreach (var error in errors.Take(ErrorsShown))
        {
            await output.WriteLineAsync(Invariant($"  {error.OriginalMessageId}: {error.ReasonCode}: {error.Reason}")).ConfigureAwait(false);
        }

        return ExitCodes.Done;
    }

    private static async Task<JsonObject> ReadAsJsonAsync(IHost host, LoginDbContext context, CancellationToken cancellationToken)
    {
        var rows = await StoredLogins.FirstAsync(context, RowsShown, cancellationToken).ConfigureAwait(false);
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var queues = await host.Services.GetRequiredService<QueueTopology>().ResolveExistingAsync(cancellationToken).ConfigureAwait(false);
        var errors = await ErrorQueueScanner.ScanAsync(sqs, queues.Error, ErrorsScanned, cancellationToken).ConfigureAwait(false);
        return new JsonObject
        {
            ["rows"] = await StoredLogins.CountAsync(context, cancellationToken).ConfigureAwait(false),
            ["first_rows"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
            {
                ["message_id"] = r.MessageId,
                ["user_id"] = r.UserId,
                ["device_type"] = r.DeviceType,
                ["masked_ip"] = r.MaskedIp,
                ["masked_device_id"] = r.MaskedDeviceId,
                ["locale"] = r.Locale,
                ["app_version"] = r.AppVersion,
                ["app_version_text"] = r.AppVersionText,
                ["create_date"] = r.CreateDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            })]),
            ["duplicate_masked_ips"] = await DuplicatesAsJsonAsync(context, MaskedField.Ip, cancellationToken).ConfigureAwait(false),
            ["duplicate_masked_device_ids"] = await DuplicatesAsJsonAsync(context, MaskedField.DeviceId, cancellationToken).ConfigureAwait(false),
            ["error_queue_messages"] = errors.Count,
            ["error_queue_capped"] = errors.Count == ErrorsScanned,
            ["error_queue_reasons"] = new JsonArray([.. errors.Take(ErrorsShown).Select(e => (JsonNode)new JsonObject
            {
                ["original_message_id"] = e.OriginalMessageId,
                ["reason_code"] = e.ReasonCode,
                ["reason"] = e.Reason,
            })]),
        };
    }

    private static async Task<JsonArray> DuplicatesAsJsonAsync(LoginDbContext context, MaskedField field, CancellationToken cancellationToken) =>
        new([.. (await StoredLogins.DuplicatesAsync(context, field, RowsShown, cancellationToken).ConfigureAwait(false))
            .Select(d => (JsonNode)new JsonObject { ["value"] = d.Value, ["count"] = d.Count })]);

    private static async Task WriteDuplicatesAsync(LoginDbContext context, MaskedField field, string title, TextWriter output, CancellationToken cancellationToken)
    {
        var groups = await StoredLogins.DuplicatesAsync(context, field, RowsShown, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"{title} seen more than once (top {RowsShown}):")).ConfigureAwait(false);
        foreach (var (value, count) in groups)
        {
            await output.WriteLineAsync(Invariant($"  {value} × {count}")).ConfigureAwait(false);
        }
    }
}
