using Microsoft.Extensions.Options;

namespace LoginConsumer.Persistence;

/// <summary>Checks BatchWriterOptions's attributes at start. Source-generated, so the check needs no reflection over the options type.</summary>
[OptionsValidator]
public sealed partial class BatchWriterOptionsValidator : IValidateOptions<BatchWriterOptions>;
