using System.Text.RegularExpressions;
using LoginConsumer.Masking;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Commands;

/// <summary>
/// Says what is wrong with a setting in the user's terms: the setting and its environment variable, and what it
/// takes. The configuration binder and the options validators name .NET types and C# properties
/// ("to type 'System.Int32'", "The field SqsOptions.Receivers"); a user sets <c>Sqs__Receivers</c>.
/// </summary>
public static partial class SettingErrors
{
    private const int MaxValueShown = 64;

    /// <summary>A value the binder could not convert: the setting, the value, and what it takes; else null.</summary>
    public static string? Unconvertible(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is InvalidOperationException && Conversion().Match(e.Message) is { Success: true } match)
            {
                var path = match.Groups["path"].Value;
                var value = match.Groups["value"].Value;
                var shown = value.Length <= MaxValueShown ? $"'{value}'" : $"a value of {value.Length} characters";
                return $"{path} (environment variable {EnvironmentName(path)}) is {shown}, which is not {Takes(match.Groups["type"].Value)}.";
            }

            if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
            {
                return Unconvertible(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }

    /// <summary>The failures of an options check, each naming the setting and its environment variable.</summary>
    public static string Describe(OptionsValidationException invalid)
    {
        var type = invalid.OptionsType.Name;
        var section = type.EndsWith("Options", StringComparison.Ordinal) ? type[..^"Options".Length] : null;
        return string.Join(" ", invalid.Failures.Select(failure =>
        {
            if (section is null)
            {
                return failure;
            }

            // DataAnnotations write "Receivers: The field SqsOptions.Receivers must be …" and "The SqsOptions.QueueName field is required."
            var text = MemberPrefix().Replace(failure, string.Empty);
            var field = Field().Match(text);
            if (field.Success && field.Groups["type"].Value == type)
            {
                var path = section + ":" + field.Groups["property"].Value;
                return $"{path} (environment variable {EnvironmentName(path)}) {field.Groups["rest"].Value}";
            }

            return text;
        }));
    }

    public static string EnvironmentName(string path) => path.Replace(":", "__", StringComparison.Ordinal);

    private static string Takes(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "a whole number",
        "System.Double" => "a number",
        "System.Boolean" => "true or false",
        "System.TimeSpan" => "a duration as hh:mm:ss (e.g. 00:00:30)",
        _ when type == typeof(MaskingAlgorithm).FullName => "one of " + string.Join(", ", Enum.GetNames<MaskingAlgorithm>()),
        _ => "a value of the right kind (docs/configuration.md lists what each setting takes)",
    };

    [GeneratedRegex(@"Failed to convert configuration value '(?<value>.*)' at '(?<path>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex Conversion();

    [GeneratedRegex(@"^\w+: (?=The )")]
    private static partial Regex MemberPrefix();

    [GeneratedRegex(@"^The (?:field )?(?<type>\w+)\.(?<property>\w+) (?:field )?(?<rest>.*)$", RegexOptions.Singleline)]
    private static partial Regex Field();
}
