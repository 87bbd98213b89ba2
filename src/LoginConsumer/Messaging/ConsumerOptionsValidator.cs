using Microsoft.Extensions.Options;

namespace LoginConsumer.Messaging;

/// <summary>Checks ConsumerOptions's attributes at start. Source-generated, so the check needs no reflection over the options type.</summary>
[OptionsValidator]
public sealed partial class ConsumerOptionsValidator : IValidateOptions<ConsumerOptions>;
