using Microsoft.Extensions.Options;

namespace LoginConsumer.Masking;

/// <summary>Checks MaskingOptions' attributes at start (the keys are <see cref="MaskingOptionsValidator"/>'s). Source-generated: no reflection over the options type.</summary>
[OptionsValidator]
public sealed partial class MaskingOptionsRangeValidator : IValidateOptions<MaskingOptions>;
