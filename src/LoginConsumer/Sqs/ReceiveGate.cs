namespace LoginConsumer.Sqs;

/// <summary>
/// What receivers wait for before each ReceiveMessage: a downstream that can take messages. The
/// composition decides what that is (the database being reachable); this room only waits.
/// </summary>
public sealed class ReceiveGate(Func<CancellationToken, Task> waitUntilOpen)
{
    public Task WaitUntilOpenAsync(CancellationToken cancellationToken) => waitUntilOpen(cancellationToken);
}
