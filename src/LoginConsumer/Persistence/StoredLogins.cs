using System.Data.Common;
using LoginConsumer.Masking;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace LoginConsumer.Persistence;

/// <summary>
/// The operator commands' reads and the rekey's update of user_logins, as plain SQL (<see cref="SqlReads"/>). The
/// masked-value format these match on is the <see cref="Masker"/>'s.
/// </summary>
public static class StoredLogins
{
    private const string Table = UserLoginConfiguration.TableName;

    // Rows with a reversible value under a key other than @active (the active key's prefix).
    private const string EncryptedUnderOtherKey =
        """
        ((masked_ip IS NOT NULL AND strpos(masked_ip, @encrypted) > 0 AND NOT starts_with(masked_ip, @active))
          OR (masked_device_id IS NOT NULL AND strpos(masked_device_id, @encrypted) > 0 AND NOT starts_with(masked_device_id, @active)))
        """;

    public static Task<long> CountAsync(LoginDbContext context, CancellationToken cancellationToken) =>
        context.CountAsync($"SELECT count(*) FROM {Table}", [], cancellationToken);

    /// <summary>Whether the table holds any row, without counting them all.</summary>
    public static async Task<bool> AnyAsync(LoginDbContext context, CancellationToken cancellationToken) =>
        await context.CountAsync($"SELECT count(*) FROM (SELECT 1 FROM {Table} LIMIT 1) AS one", [], cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>The first <paramref name="count"/> rows by message id.</summary>
    public static Task<List<UserLogin>> FirstAsync(LoginDbContext context, int count, CancellationToken cancellationToken) =>
        context.ReadAsync(
            "SELECT message_id, user_id, device_type, masked_ip, masked_device_id, locale, app_version, app_version_text, create_date "
            + $"FROM {Table} ORDER BY message_id LIMIT @n",
            [new NpgsqlParameter("n", count)],
            ReadLogin,
            cancellationToken);

    /// <summary>The masked values stored more than once in <paramref name="field"/>'s column, most frequent first.</summary>
    public static Task<List<(string Value, long Count)>> DuplicatesAsync(LoginDbContext context, MaskedField field, int count, CancellationToken cancellationToken)
    {
        var column = field == MaskedField.Ip ? "masked_ip" : "masked_device_id";
        return context.ReadAsync(
            $"SELECT {column}, count(*) FROM {Table} WHERE {column} IS NOT NULL GROUP BY {column} HAVING count(*) > 1 ORDER BY count(*) DESC LIMIT @n",
            [new NpgsqlParameter("n", count)],
            reader => (reader.GetString(0), reader.GetInt64(1)),
            cancellationToken);
    }

    /// <summary>How many rows hold a reversible value under a key other than <paramref name="activeKeyId"/>.</summary>
    public static Task<long> CountEncryptedUnderOtherKeysAsync(LoginDbContext context, string activeKeyId, CancellationToken cancellationToken) =>
        context.CountAsync($"SELECT count(*) FROM {Table} WHERE {EncryptedUnderOtherKey}", KeyParameters(activeKeyId), cancellationToken);

    /// <summary>The next <paramref name="take"/> of those rows after message id <paramref name="after"/>: message id and masked values only.</summary>
    public static Task<List<UserLogin>> ReadEncryptedUnderOtherKeysAsync(
        LoginDbContext context, string activeKeyId, string after, int take, CancellationToken cancellationToken) =>
        context.ReadAsync(
            $"SELECT message_id, masked_ip, masked_device_id FROM {Table} WHERE message_id > @after AND {EncryptedUnderOtherKey} ORDER BY message_id LIMIT @take",
            [new NpgsqlParameter("after", after), .. KeyParameters(activeKeyId), new NpgsqlParameter("take", take)],
            reader => new UserLogin { MessageId = reader.GetString(0), MaskedIp = reader.GetNullableString(1), MaskedDeviceId = reader.GetNullableString(2) },
            cancellationToken);

    /// <summary>How many rows hold a one-way (HMAC) value, which no key turns back.</summary>
    public static Task<long> CountOneWayAsync(LoginDbContext context, CancellationToken cancellationToken) =>
        context.CountAsync(
            $"SELECT count(*) FROM {Table} WHERE (masked_ip IS NOT NULL AND strpos(masked_ip, @encrypted) = 0) "
            + "OR (masked_device_id IS NOT NULL AND strpos(masked_device_id, @encrypted) = 0)",
            [new NpgsqlParameter("encrypted", Masker.EncryptedInfix)],
            cancellationToken);

    /// <summary>
    /// Replaces the masked values of <paramref name="rows"/> with <paramref name="fresh"/>, in one transaction, only where
    /// a row still holds what was read: a row changed meanwhile is left for the next run. Returns the rows updated.
    /// </summary>
    public static async Task<int> ReplaceMaskedAsync(
        LoginDbContext context, IReadOnlyList<UserLogin> rows, IReadOnlyList<(string? Ip, string? DeviceId)> fresh, CancellationToken cancellationToken)
    {
        var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var updated = await context.Database.ExecuteSqlRawAsync(
                $"""
                UPDATE {Table} AS u SET masked_ip = v.new_ip, masked_device_id = v.new_device_id
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

    private static NpgsqlParameter[] KeyParameters(string activeKeyId) =>
        [new NpgsqlParameter("encrypted", Masker.EncryptedInfix), new NpgsqlParameter("active", Masker.KeyPrefix(activeKeyId))];

    private static NpgsqlParameter TextArray(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

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
}
