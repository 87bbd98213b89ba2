namespace LoginConsumer.Sqs;

/// <summary>
/// Knows when the receive loop has drained: every receiver has ended and every started message is settled. One count
/// holds both, the handlers running plus one held by the receivers until they end, changed only by interlocked
/// operations: whichever side takes it to zero completes <see cref="Drained"/>, so neither can miss the other (a flag
/// and a count read on opposite sides can both be missed where stores and loads reorder, as on ARM64).
/// </summary>
public sealed class DrainCount
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _outstanding = 1;
    private int _handling;

    /// <summary>Messages being handled now.</summary>
    public int Handling => Volatile.Read(ref _handling);

    public Task Drained => _drained.Task;

    public void HandlerStarted()
    {
        Interlocked.Increment(ref _outstanding);
        Interlocked.Increment(ref _handling);
    }

    public void HandlerEnded()
    {
        Interlocked.Decrement(ref _handling);
        Release();
    }

    /// <summary>Every receiver has ended: from now on the count only falls.</summary>
    public void ReceiversEnded() => Release();

    private void Release()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            _drained.TrySetResult();
        }
    }
}
