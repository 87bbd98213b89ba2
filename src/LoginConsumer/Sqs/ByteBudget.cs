namespace LoginConsumer.Sqs;

/// <summary>
/// Bounds the bytes of message bodies held at once. A receive reserves room for the largest bodies SQS could return
/// before it asks, and keeps only what the bodies really take once they are here, so memory is bounded by bytes and
/// not only by the count of messages. One reservation larger than the whole budget still goes through when nothing
/// else is held, so a budget smaller than one message cannot stop the loop.
/// </summary>
public sealed class ByteBudget(long capacity)
{
    private readonly object _gate = new();
    private long _used;
    private TaskCompletionSource? _released;

    public long Used => Interlocked.Read(ref _used);

    public async Task ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (_used + bytes <= capacity || _used == 0)
                {
                    _used += bytes;
                    return;
                }

                released = (_released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await released.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes <paramref name="bytes"/> without waiting: for bodies that are already here.</summary>
    public void Take(long bytes)
    {
        lock (_gate)
        {
            _used += bytes;
        }
    }

    public void Release(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        TaskCompletionSource? released;
        lock (_gate)
        {
            _used -= bytes;
            released = _released;
            _released = null;
        }

        released?.TrySetResult();
    }
}
