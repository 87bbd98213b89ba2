using MassTransit;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Messaging;

/// <summary>How the consumer's endpoint reads messages and retries failures: raw JSON from producers that know nothing of MassTransit; exponential retry for transient faults only.</summary>
public sealed class LoginEventConsumerDefinition : ConsumerDefinition<LoginEventConsumer>
{
    private readonly ConsumerOptions _options;

    public LoginEventConsumerDefinition(IOptions<ConsumerOptions> options)
    {
        _options = options.Value;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<LoginEventConsumer> consumerConfigurator,
        IRegistrationContext context) => ConfigureEndpoint(endpointConfigurator, _options);

    /// <summary>The endpoint's deserializer and retry; shared with the dispatch micro-benchmark so that it measures exactly these.</summary>
    internal static void ConfigureEndpoint(IReceiveEndpointConfigurator endpointConfigurator, ConsumerOptions options)
    {
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Exponential(options.RetryLimit, options.RetryMinInterval, options.RetryMaxInterval, options.RetryIntervalDelta);
            retry.Ignore(PoisonClassifier.PoisonTypes);
        });
    }
}
