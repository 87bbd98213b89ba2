namespace LoginConsumer.Sqs;

/// <summary>Bounds the messages received and not yet finished, so a slow database makes receivers wait instead of piling up memory and visibility time.</summary>
public sealed class InFlightLimiter(int capacity) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(capacity, capacity);

    /// <summary>Waits for at least one free slot, then takes as many more as are free, up to <paramref name="max"/>.</summary>
    public async Task<int> AcquireAsync(int max, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = 1;
        while (taken < max && _slots.Wait(0, CancellationToken.None))
        {
            taken++;
        }

        return taken;
    }

    public void Dispose() => _slots.Dispose();

    public void Release(int count)
    {
        if (count > 0)
        {
            _slots.Release(count);
        }
    }
}
