using System.Net;
using System.Net.Sockets;

namespace LoginConsumer.Masking;

/// <summary>
/// Brings every textual form of one address to one string before it is masked, so that
/// "2001:DB8::1", "2001:db8:0:0:0:0:0:1" and "::ffff:192.0.2.1" / "192.0.2.1" each mask alike.
/// </summary>
public static class IpCanonicalizer
{
    /// <summary>
    /// IPv4 must be strict dotted-quad decimal without leading zeros (inet_aton's "127.1" and octal
    /// forms are ambiguous); IPv6 may take any RFC 4291 text form and is written back in RFC 5952 form;
    /// IPv4-mapped IPv6 becomes its IPv4 address. Zone indexes are refused: they are host-local.
    /// </summary>
    public static bool TryCanonicalize(string value, out string canonical)
    {
        canonical = string.Empty;
        if (value.Contains(':', StringComparison.Ordinal))
        {
            if (value.Contains('%', StringComparison.Ordinal) || value.Contains('[', StringComparison.Ordinal)
                || !IPAddress.TryParse(value, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            canonical = v6.IsIPv4MappedToIPv6 ? v6.MapToIPv4().ToString() : v6.ToString();
            return true;
        }

        return TryParseDottedQuad(value) && (canonical = value) is not null;
    }

    private static bool TryParseDottedQuad(ReadOnlySpan<char> value)
    {
        var parts = 0;
        while (true)
        {
            var dot = value.IndexOf('.');
            var part = dot < 0 ? value : value[..dot];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            var number = 0;
            foreach (var c in part)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }

                number = (number * 10) + (c - '0');
            }

            if (number > 255)
            {
                return false;
            }

            parts++;
            if (dot < 0)
            {
                return parts == 4;
            }

            value = value[(dot + 1)..];
        }
    }
}
