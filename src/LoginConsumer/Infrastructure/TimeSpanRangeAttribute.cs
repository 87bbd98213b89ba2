using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace LoginConsumer.Infrastructure;

/// <summary>
/// A TimeSpan setting's bounds. <c>[Range(typeof(TimeSpan), …)]</c> would do the same through a TypeConverter
/// looked up by reflection, which a trimmed native build cannot promise to keep; this parses its bounds itself.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TimeSpanRangeAttribute(string minimum, string maximum) : ValidationAttribute
{
    public TimeSpan Minimum { get; } = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);

    public TimeSpan Maximum { get; } = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);

    public override bool IsValid(object? value) => value is not TimeSpan span || (span >= Minimum && span <= Maximum);

    public override string FormatErrorMessage(string name) =>
        string.Create(CultureInfo.InvariantCulture, $"The field {name} must be between {Minimum:c} and {Maximum:c}.");
}
