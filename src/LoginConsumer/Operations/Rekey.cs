using LoginConsumer.Masking;
using LoginConsumer.Persistence;
using static System.FormattableString;

namespace LoginConsumer.Operations;

/// <summary>
/// Re-encrypts stored AesGcmSiv values under the active key, batch by batch, each batch in its own transaction.
/// The data itself is the progress record: a row is selected only while one of its values is under another key, so
/// an interrupted run is resumed by running it again. An UPDATE only applies where the row still holds the values
/// that were read, so nothing is overwritten, and no row is inserted or deleted.
/// </summary>
public static class Rekey
{
    private const int MaxUnreadableShown = 20;

    /// <summary>Runs one pass; returns 1 when some row has a value that no key of the ring decrypts, else 0.</summary>
    /// <returns>Whether every value could be read (those that could not are named on <c>error</c> and left as they are).</returns>
    public static async Task<bool> RunAsync(
        LoginDbContext context,
        Masker masker,
        KeyRing ring,
        int batchSize,
        int? limit,
        Func<long, IWorkProgress> progressFor,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        var active = ring.Active.Id;
        var total = await StoredLogins.CountEncryptedUnderOtherKeysAsync(context, active, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync(Invariant($"rekey: {total} rows hold values under keys other than '{active}'.")).ConfigureAwait(false);
        var progress = progressFor(total);

        var after = string.Empty;
        long done = 0, changedMeanwhile = 0, unreadable = 0;
        while (limit is null || done < limit)
        {
            var take = limit is null ? batchSize : (int)Math.Min(batchSize, limit.Value - done);
            var rows = await StoredLogins.ReadEncryptedUnderOtherKeysAsync(context, active, after, take, cancellationToken).ConfigureAwait(false);
            if (rows.Count == 0)
            {
                break;
            }

            after = rows[^1].MessageId;
            var readable = new List<UserLogin>(rows.Count);
            var values = new List<(string? Ip, string? DeviceId)>(rows.Count);
            foreach (var row in rows)
            {
                if (Reencrypt(masker, ring, MaskedField.Ip, row.MaskedIp, out var ip) && Reencrypt(masker, ring, MaskedField.DeviceId, row.MaskedDeviceId, out var deviceId))
                {
                    readable.Add(row);
                    values.Add((ip, deviceId));
                }
                else if (++unreadable <= MaxUnreadableShown)
                {
                    await error.WriteLineAsync(Invariant($"rekey: row {row.MessageId} cannot be decrypted with any key of the ring; left as it is")).ConfigureAwait(false);
                }
            }

            var updated = readable.Count == 0 ? 0 : await StoredLogins.ReplaceMaskedAsync(context, readable, values, cancellationToken).ConfigureAwait(false);
            done += updated;
            changedMeanwhile += readable.Count - updated;
            progress.Report(done);
        }

        progress.Complete(done);

        var left = await StoredLogins.CountEncryptedUnderOtherKeysAsync(context, active, cancellationToken).ConfigureAwait(false);
        var oneWay = await StoredLogins.CountOneWayAsync(context, cancellationToken).ConfigureAwait(false);
        var again = left > unreadable ? " (run rekey again)" : string.Empty;
        await output.WriteLineAsync(Invariant(
            $"rekey: finished this run: {done} rows re-encrypted, {changedMeanwhile} changed while being read (left for the next run), {unreadable} that no key of the ring decrypts (left as they are), {left} still under other keys{again}, {oneWay} with one-way HMAC values left as they are."))
            .ConfigureAwait(false);
        return unreadable == 0;
    }

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
}
