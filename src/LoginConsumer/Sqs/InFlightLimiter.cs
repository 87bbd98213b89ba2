namespace LoginConsumer.Sqs;

/// <summary>Bounds the messages received and not yet finished, so a slow database makes receivers wait instead of piling up memory and visibility time.</summary>
public sealed class InFlightLimiter(int capacity) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(capacity, capacity);

    // One receiver gathers slots at a time. Were several to hold part of what they want, they could hold every
    // free slot between them with nothing in flight to release more.
    private readonly SemaphoreSlim _gathering = new(1, 1);

    /// <summary>
    /// Waits until <paramref name="max"/> slots (the whole capacity, when that is smaller) are free, and takes them.
    /// Taking whatever was free, as soon as one was, made a saturated consumer receive a message or two at a time as
    /// single messages finished: more ReceiveMessage calls, each costing the SDK and the queue as much as a full one.
    /// </summary>
    public async Task<int> AcquireAsync(int max, CancellationToken cancellationToken)
    {
        var wanted = Math.Min(max, capacity);
        await _gathering.WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = 0;
        try
        {
            while (taken < wanted)
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                taken++;
            }

            return taken;
        }
        catch (OperationCanceledException)
        {
            Release(taken);
            throw;
        }
        finally
        {
            _gathering.Release();
        }
    }

    public void Dispose()
    {
        _slots.Dispose();
        _gathering.Dispose();
    }

    public void Release(int count)
    {
        if (count > 0)
        {
            _slots.Release(count);
        }
    }
}
