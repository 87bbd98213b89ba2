using Amazon.SQS.Model;
using BenchmarkDotNet.Attributes;
using LoginConsumer.Messaging;
using LoginConsumer.Sqs;
using MassTransit;
using MassTransit.Transports;
using Microsoft.Extensions.DependencyInjection;

namespace LoginConsumer.Bench;

/// <summary>
/// The floor that MassTransit's receive endpoint dispatcher sets for one message, whatever the consumer does: the
/// shipped endpoint's pieces (raw JSON deserializer, message retry, a DI scope and consumer per message) in front
/// of a consumer that does nothing. Set beside <see cref="ParseValidateMaskBenchmark"/> (our own work) and the
/// bench's CPU per message, it says how much of the consumer's CPU is the dispatch the design requires.
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmark
{
    private static readonly byte[] Body = ParseValidateMaskBenchmark.Body;

    private static readonly TransportFacts Received = new(Guid.NewGuid().ToString(), 1764201600000, ReceiveCount: 1);

    private ServiceProvider _services = null!;
    private IReceiveEndpointDispatcher _dispatcher = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMassTransit(x =>
        {
            x.AddConsumer<NothingConsumer, NothingConsumerDefinition>();
            x.UsingInMemory();
        });
        _services = services.BuildServiceProvider();
        LogContext.ConfigureCurrentLogContextIfNull(_services);
        _dispatcher = _services.GetRequiredService<IReceiveEndpointDispatcherFactory>().CreateConsumerReceiver<NothingConsumer>("login-queue");

        // A dispatch that reached no consumer would measure nothing: make sure one arrives.
        _dispatcher.Dispatch(Body, Headers(), CancellationToken.None).GetAwaiter().GetResult();
        if (NothingConsumer.Consumed != 1)
        {
            throw new InvalidOperationException($"The dispatcher reached the consumer {NothingConsumer.Consumed} times, not once.");
        }
    }

    [GlobalCleanup]
    public ValueTask Cleanup() => _services.DisposeAsync();

    [Benchmark]
    public Task DispatchToNothing() => _dispatcher.Dispatch(Body, Headers(), CancellationToken.None);

    // The processor builds the headers for each message from its transport facts; so does the benchmark.
    private static Dictionary<string, object> Headers() => LoginMessageProcessor.Headers(Received);

    public sealed class NothingConsumer : IConsumer<LoginEvent>
    {
        private static int _consumed;

        public static int Consumed => Volatile.Read(ref _consumed);

        public Task Consume(ConsumeContext<LoginEvent> context)
        {
            Interlocked.Increment(ref _consumed);
            return Task.CompletedTask;
        }
    }

    public sealed class NothingConsumerDefinition : ConsumerDefinition<NothingConsumer>
    {
        protected override void ConfigureConsumer(
            IReceiveEndpointConfigurator endpointConfigurator,
            IConsumerConfigurator<NothingConsumer> consumerConfigurator,
            IRegistrationContext context) => LoginEventConsumerDefinition.ConfigureEndpoint(endpointConfigurator, new ConsumerOptions());
    }
}
