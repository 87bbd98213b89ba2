using System.Text.RegularExpressions;

namespace LoginConsumer.Masking;

/// <summary>All configured masking keys by id, and the active one that masks new values.</summary>
public sealed partial class KeyRing : IDisposable
{
    public const int MinKeyBytes = 32;
    public const int MaxKeyIdLength = 32;

    /// <summary>A fixed key for local development only; never accepted outside the Development environment.</summary>
    public const string DevelopmentKeyId = "dev";
    public const string DevelopmentKeyBase64 = "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1ub3QtYS1zZWNyZXQta2V5ISE=";

    private readonly Dictionary<string, MaskingKey> _keys;

    public KeyRing(IEnumerable<MaskingKey> keys, string activeKeyId)
    {
        _keys = keys.ToDictionary(k => k.Id, StringComparer.Ordinal);
        Active = _keys.TryGetValue(activeKeyId, out var active)
            ? active
            : throw new ArgumentException($"Masking:ActiveKeyId '{activeKeyId}' names no key in Masking:Keys.", nameof(activeKeyId));
    }

    public MaskingKey Active { get; }

    public IReadOnlyCollection<MaskingKey> Keys => _keys.Values;

    public bool TryGet(string keyId, out MaskingKey key) => _keys.TryGetValue(keyId, out key!);

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
    }

    /// <summary>Builds the ring from options, or returns the problems, each naming the setting at fault.</summary>
    public static KeyRing Create(MaskingOptions options, bool allowDevelopmentKey)
    {
        var errors = Validate(options, allowDevelopmentKey);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", errors));
        }

        if (options.Keys.Count == 0)
        {
            return new KeyRing([new MaskingKey(DevelopmentKeyId, Convert.FromBase64String(DevelopmentKeyBase64))], DevelopmentKeyId);
        }

        return new KeyRing(options.Keys.Select(kv => new MaskingKey(kv.Key, Convert.FromBase64String(kv.Value))), options.ActiveKeyId!);
    }

    public static List<string> Validate(MaskingOptions options, bool allowDevelopmentKey)
    {
        var errors = new List<string>();
        if (options.Keys.Count == 0)
        {
            if (!allowDevelopmentKey)
            {
                errors.Add("No masking key is configured: set Masking:Keys:<id> (base64, at least 32 bytes; e.g. `openssl rand -base64 32`) and Masking:ActiveKeyId.");
            }

            return errors;
        }

        foreach (var (id, value) in options.Keys)
        {
            if (!KeyIdPattern().IsMatch(id))
            {
                errors.Add($"Masking:Keys:{id}: a key id is 1-{MaxKeyIdLength} characters of letters, digits, '_' or '-'.");
                continue;
            }

            var material = new byte[value.Length];
            if (!Convert.TryFromBase64String(value, material, out var length))
            {
                errors.Add($"Masking:Keys:{id} is not valid base64.");
            }
            else if (length < MinKeyBytes)
            {
                errors.Add($"Masking:Keys:{id} holds {length} bytes; at least {MinKeyBytes} are required.");
            }
            else if (!allowDevelopmentKey && material.AsSpan(0, length).SequenceEqual(Convert.FromBase64String(DevelopmentKeyBase64)))
            {
                // Compared as bytes: the same key written with whitespace or other line breaks is still the published one.
                errors.Add($"Masking:Keys:{id} is the published development key; generate a real one outside Development.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.ActiveKeyId))
        {
            errors.Add("Masking:ActiveKeyId is not set; it must name one of Masking:Keys.");
        }
        else if (!options.Keys.ContainsKey(options.ActiveKeyId))
        {
            errors.Add($"Masking:ActiveKeyId '{options.ActiveKeyId}' names no key in Masking:Keys.");
        }

        return errors;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex KeyIdPattern();
}
