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
        if (version is null)
        {
            return null;
        }

        var match = NumericPrefix().Match(version);
        if (!match.Success)
        {
            return null;
        }

        var major = int.Parse(match.Groups[1].ValueSpan, provider: null);
        var minor = match.Groups[2].Success ? int.Parse(match.Groups[2].ValueSpan, provider: null) : 0;
        var patch = match.Groups[3].Success ? int.Parse(match.Groups[3].ValueSpan, provider: null) : 0;
        return major > MaxMajor ? null : (major * 1_000_000) + (minor * 1_000) + patch;
    }

    // 1 to 3 numeric parts of at most 3 digits (4 for major), then optionally a SemVer pre-release or build suffix.
    [GeneratedRegex(@"^(\d{1,4})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?(?:[-+][0-9A-Za-z.+-]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex NumericPrefix();
}
