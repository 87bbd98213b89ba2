using System.CommandLine.Parsing;
using System.Globalization;

namespace LoginConsumer.Commands;

/// <summary>Durations on the command line: <c>90s</c>, <c>2m</c>, <c>1h</c>, <c>7d</c>, or .NET's <c>00:02:00</c>.</summary>
public static class Duration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        if (text.Length >= 2 && char.IsAsciiLetter(text[^1])
            && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            TimeSpan? parsed = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            duration = parsed ?? default;
            return parsed is not null;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    /// <summary>System.CommandLine's custom parser for an option of this kind; its error names the forms accepted.</summary>
    public static TimeSpan Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (TryParse(text, out var duration))
        {
            return duration;
        }

        var option = (result.Parent as OptionResult)?.Option.Name ?? "the duration";
        result.AddError($"{option}: '{text}' is not a duration: give e.g. 90s, 2m, 1h, 7d or 00:02:00.");
        return default;
    }
}
