using LoginConsumer.Sqs;

namespace LoginConsumer.Tests.Sqs;

public sealed class InFlightLimiterTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task AcquireAsync_FewerSlotsFreeThanAsked_WaitsForAllOfThemInsteadOfTakingWhatIsFree()
    {
        using var limiter = new InFlightLimiter(20);
        Assert.Equal(10, await limiter.AcquireAsync(10, CancellationToken.None));
        Assert.Equal(10, await limiter.AcquireAsync(10, CancellationToken.None));

        var next = limiter.AcquireAsync(10, CancellationToken.None);
        limiter.Release(1);
        limiter.Release(2);
        await Task.Delay(Settle);
        Assert.False(next.IsCompleted);

        limiter.Release(7);
        Assert.Equal(10, await next.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task AcquireAsync_CapacityBelowTheAsk_TakesTheWholeCapacity()
    {
        using var limiter = new InFlightLimiter(3);

        Assert.Equal(3, await limiter.AcquireAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task AcquireAsync_ReceiversWaitingWhileMessagesFinishOneByOne_NeverHoldEverySlotBetweenThem()
    {
        // Every slot in flight, two receivers waiting, then the 15 messages finish one at a time. Had each receiver
        // kept what it got, they would share the 15 slots (8 and 7) with nothing left in flight to free more.
        using var limiter = new InFlightLimiter(15);
        Assert.Equal(10, await limiter.AcquireAsync(10, CancellationToken.None));
        Assert.Equal(5, await limiter.AcquireAsync(5, CancellationToken.None));
        var first = limiter.AcquireAsync(10, CancellationToken.None);
        var second = limiter.AcquireAsync(10, CancellationToken.None);

        for (var i = 0; i < 15; i++)
        {
            limiter.Release(1);
            await Task.Delay(20); // time for whoever got it to ask for the next one
        }

        var done = await Task.WhenAny(first, second).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(10, await done);
        var other = done == first ? second : first;
        Assert.False(other.IsCompleted);

        limiter.Release(10);
        Assert.Equal(10, await other.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileGathering_GivesBackWhatItHeld()
    {
        using var limiter = new InFlightLimiter(12);
        Assert.Equal(10, await limiter.AcquireAsync(10, CancellationToken.None));
        using var cancel = new CancellationTokenSource();
        var gathering = limiter.AcquireAsync(10, cancel.Token);
        await Task.Delay(Settle);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gathering);

        limiter.Release(10);
        Assert.Equal(10, await limiter.AcquireAsync(10, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, await limiter.AcquireAsync(2, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
