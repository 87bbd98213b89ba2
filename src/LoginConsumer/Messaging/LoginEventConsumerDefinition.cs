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
        IRegistrationContext context)
    {
        endpointConfigurator.UseRawJsonDeserializer(RawSerializerOptions.AnyMessageType, isDefault: true);
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Exponential(_options.RetryLimit, _options.RetryMinInterval, _options.RetryMaxInterval, _options.RetryIntervalDelta);
            retry.Ignore<PoisonMessageException>();
            retry.Ignore<System.Runtime.Serialization.SerializationException>();
            retry.Ignore<MessageNotConsumedException>();
            retry.Ignore<System.Text.Json.JsonException>();
        });
    }
}
