using MassTransit;

namespace LoginConsumer.Messaging;

/// <summary>Runs <see cref="JsonBodyInspector"/> on every message before MassTransit deserializes it into <see cref="LoginEvent"/>.</summary>
public sealed class BodyShapeFilter(int maxBytes, int maxDepth) : IFilter<ConsumeContext>
{
    public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        JsonBodyInspector.Check(context.ReceiveContext.Body.GetBytes(), maxBytes, maxDepth);
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("loginBodyShape");
}
