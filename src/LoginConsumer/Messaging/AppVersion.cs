using System.Text.RegularExpressions;

namespace LoginConsumer.Messaging;

/// <summary>
/// The analysts' integer column keeps a sortable number (major × 1,000,000 + minor × 1,000 + patch);
/// the original string is stored beside it, so nothing is lost ("2.3" and "2.3.0" encode alike).
/// </summary>
public static partial class AppVersion
{
    private const int MaxMajor = 2146; // 2146 × 1,000,000 + 999,999 still fits in int32

    public static int? Encode(string? version)
    {
        if (version is null || !NumericPrefix().IsMatch(version))
        {
            return null;
        }

        // The pattern holds, so up to the first '-' or '+' come 1 to 3 dot-separated runs of ASCII digits (\d would also
        // match other scripts' digits, which int.Parse refuses). Parsed here rather than through the match's groups,
        // which would allocate per message.
        var end = version.AsSpan().IndexOfAny('-', '+');
        var numeric = end < 0 ? version.AsSpan() : version.AsSpan(0, end);
        Span<int> parts = [0, 0, 0];
        var index = 0;
        foreach (var part in numeric.Split('.'))
        {
            parts[index++] = int.Parse(numeric[part], provider: null);
        }

        return parts[0] > MaxMajor ? null : (parts[0] * 1_000_000) + (parts[1] * 1_000) + parts[2];
    }

    // 1 to 3 numeric parts of at most 3 ASCII digits (4 for major), then optionally a SemVer pre-release or build suffix.
    [GeneratedRegex(@"^[0-9]{1,4}(?:\.[0-9]{1,3}){0,2}(?:[-+][0-9A-Za-z.+-]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex NumericPrefix();
}
