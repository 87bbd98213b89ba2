using System.CommandLine;
using LoginConsumer.Masking;
using LoginConsumer.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using static System.FormattableString;

namespace LoginConsumer.Commands;

/// <summary>
/// Re-encrypts stored AesGcmSiv values under the active key, batch by batch, each batch in its own transaction.
/// The data itself is the progress record: a row is selected only while one of its values is under another key, so
/// an interrupted run is resumed by running it again. An UPDATE only applies where the row still holds the values
/// that were read, so nothing is overwritten, and no row is inserted or deleted. Needs UPDATE on user_logins: run it
/// with the owner's connection (ConnectionStrings:LoginDbMigrations, else LoginDb), never as the runtime role.
/// </summary>
public static class RekeyCommand
{
    private const string NeedsRekey = """
        ((masked_ip IS NOT NULL AND strpos(masked_ip, ':e:') > 0 AND NOT starts_with(masked_ip, @active))
          OR (masked_device_id IS NOT NULL AND strpos(masked_device_id, ':e:') > 0 AND NOT starts_with(masked_device_id, @active)))
        """;

    public static Command Create()
    {
        var batchSize = new Option<int>("--batch-size") { Description = "Rows per transaction.", DefaultValueFactory = _ => 1000 };
        var limit = new Option<int?>("--limit") { Description = "Stop after this many rows (a later run carries on)." };
        var command = new Command("rekey", "Re-encrypt stored AesGcmSiv values under Masking:ActiveKeyId, in resumable batches.") { batchSize, limit };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(parse.GetValue(batchSize), parse.GetValue(limit), Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(int batchSize, int? limit, TextWriter output, CancellationToken cancellationToken)
    {
        if (batchSize is < 1 or > 100_000)
        {
            await Console.Error.WriteLineAsync("rekey: --batch-size must be between 1 and 100000.").ConfigureAwait(false);
            return 2;
        }

        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddMasking();
        builder.AddLoginDatabase(LoginConsumerServiceCollectionExtensions.MigrationConnectionStringName);
        using var host = builder.Build();
        var masker = host.Services.GetRequiredService<Masker>();
        var ring = host.Services.GetRequiredService<KeyRing>();
        if (masker.Algorithm != MaskingAlgorithm.AesGcmSiv)
        {
            await Console.Error.WriteLineAsync(
                "rekey: refused. Masking:Algorithm is HmacSha256: one-way values cannot be re-computed without their originals. "
                + "See docs/privacy.md for comparing values across a rotation.").ConfigureAwait(false);
            return 1;
        }

        var active = new NpgsqlParameter("active", ring.Active.Id + ":");
        var context = await host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>().CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            var total = await context.CountAsync("SELECT count(*) FROM user_logins WHERE " + NeedsRekey, [active.Clone()], cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant($"rekey: {total} rows hold values under keys other than '{ring.Active.Id}'.")).ConfigureAwait(false);

            var after = string.Empty;
            long done = 0, changedMeanwhile = 0, unreadable = 0;
            while (limit is null || done < limit)
            {
                var take = limit is null ? batchSize : (int)Math.Min(batchSize, limit.Value - done);
                var rows = await context.ReadAsync(
                        "SELECT message_id, masked_ip, masked_device_id FROM user_logins WHERE message_id > @after AND " + NeedsRekey + " ORDER BY message_id LIMIT @take",
                        [new NpgsqlParameter("after", after), active.Clone(), new NpgsqlParameter("take", take)],
                        reader => new RekeyRow { MessageId = reader.GetString(0), MaskedIp = reader.GetNullableString(1), MaskedDeviceId = reader.GetNullableString(2) },
                        cancellationToken)
                    .ConfigureAwait(false);
                if (rows.Count == 0)
                {
                    break;
                }

                after = rows[^1].MessageId;
                var fresh = Reencrypt(masker, ring, rows);
                var readable = new List<RekeyRow>(rows.Count);
                var values = new List<(string? Ip, string? DeviceId)>(rows.Count);
                for (var i = 0; i < rows.Count; i++)
                {
                    if (fresh[i] is { } value)
                    {
                        readable.Add(rows[i]);
                        values.Add(value);
                    }
                    else if (++unreadable <= MaxUnreadableShown)
                    {
                        await Console.Error.WriteLineAsync(Invariant($"rekey: row {rows[i].MessageId} cannot be decrypted with any key of the ring; left as it is")).ConfigureAwait(false);
                    }
                }

                var updated = readable.Count == 0 ? 0 : await UpdateAsync(context, readable, values, cancellationToken).ConfigureAwait(false);
                done += updated;
                changedMeanwhile += readable.Count - updated;
                await output.WriteLineAsync(Invariant(
                    $"rekey: {done} of {total} rows re-encrypted under '{ring.Active.Id}' ({(total == 0 ? 100 : done * 100 / total)}%)")).ConfigureAwait(false);
            }

            var left = await context.CountAsync("SELECT count(*) FROM user_logins WHERE " + NeedsRekey, [active.Clone()], cancellationToken).ConfigureAwait(false);
            var oneWay = await context.CountAsync(
                    "SELECT count(*) FROM user_logins WHERE (masked_ip IS NOT NULL AND strpos(masked_ip, ':e:') = 0) "
                    + "OR (masked_device_id IS NOT NULL AND strpos(masked_device_id, ':e:') = 0)",
                    [],
                    cancellationToken)
                .ConfigureAwait(false);
            var again = left > unreadable ? " (run rekey again)" : string.Empty;
            await output.WriteLineAsync(Invariant(
                $"rekey: finished this run: {done} rows re-encrypted, {changedMeanwhile} changed while being read (left for the next run), {unreadable} that no key of the ring decrypts (left as they are), {left} still under other keys{again}, {oneWay} with one-way HMAC values left as they are."))
                .ConfigureAwait(false);
            return unreadable > 0 ? 1 : 0;
        }
    }

    /// <summary>The new values of each row, or null for a row with a value that no key of the ring decrypts.</summary>
    private static List<(string? Ip, string? DeviceId)?> Reencrypt(Masker masker, KeyRing ring, List<RekeyRow> rows) =>
        rows.Select(row => Reencrypt(masker, ring, MaskedField.Ip, row.MaskedIp, out var ip) && Reencrypt(masker, ring, MaskedField.DeviceId, row.MaskedDeviceId, out var deviceId)
                ? ((string? Ip, string? DeviceId)?)(ip, deviceId)
                : null)
            .ToList();

    private static bool Reencrypt(Masker masker, KeyRing ring, MaskedField field, string? masked, out string? fresh)
    {
        fresh = masked;
        if (masked is null || Masker.Describe(masked) is not { Encrypted: true } described || described.KeyId == ring.Active.Id)
        {
            return true;
        }

        if (!masker.TryUnmask(field, masked, out var original, out _))
        {
            return false;
        }

        fresh = Masker.Encrypt(ring.Active, field, original);
        return true;
    }

    private const int MaxUnreadableShown = 20;

    private static async Task<int> UpdateAsync(LoginDbContext context, List<RekeyRow> rows, List<(string? Ip, string? DeviceId)> fresh, CancellationToken cancellationToken)
    {
        var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var updated = await context.Database.ExecuteSqlRawAsync(
                """
                UPDATE user_logins AS u SET masked_ip = v.new_ip, masked_device_id = v.new_device_id
                FROM unnest(@ids, @old_ip, @new_ip, @old_device_id, @new_device_id) AS v(message_id, old_ip, new_ip, old_device_id, new_device_id)
                WHERE u.message_id = v.message_id
                  AND u.masked_ip IS NOT DISTINCT FROM v.old_ip
                  AND u.masked_device_id IS NOT DISTINCT FROM v.old_device_id
                """,
                [
                    TextArray("ids", rows.Select(r => (string?)r.MessageId)),
                    TextArray("old_ip", rows.Select(r => r.MaskedIp)),
                    TextArray("new_ip", fresh.Select(f => f.Ip)),
                    TextArray("old_device_id", rows.Select(r => r.MaskedDeviceId)),
                    TextArray("new_device_id", fresh.Select(f => f.DeviceId)),
                ],
                cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return updated;
        }
    }

    private static NpgsqlParameter TextArray(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

    private sealed class RekeyRow
    {
        public required string MessageId { get; init; }

        public string? MaskedIp { get; init; }

        public string? MaskedDeviceId { get; init; }
    }
}
