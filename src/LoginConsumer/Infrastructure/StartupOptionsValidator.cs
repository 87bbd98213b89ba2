using Microsoft.Extensions.Options;

namespace LoginConsumer.Infrastructure;

/// <summary>Checks StartupOptions's attributes at start. Source-generated, so the check needs no reflection over the options type.</summary>
[OptionsValidator]
public sealed partial class StartupOptionsValidator : IValidateOptions<StartupOptions>;
