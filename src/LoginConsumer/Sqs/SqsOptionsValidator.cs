using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>Checks SqsOptions's attributes at start. Source-generated, so the check needs no reflection over the options type.</summary>
[OptionsValidator]
public sealed partial class SqsOptionsValidator : IValidateOptions<SqsOptions>;
