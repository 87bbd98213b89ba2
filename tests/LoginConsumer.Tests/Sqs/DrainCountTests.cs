using LoginConsumer.Sqs;

namespace LoginConsumer.Tests.Sqs;

public sealed class DrainCountTests
{
    [Fact]
    public void Drained_ReceiversEndWithNothingInFlight_CompletesAtOnce()
    {
        var count = new DrainCount();
        count.ReceiversEnded();
        Assert.True(count.Drained.IsCompleted);
    }

    [Fact]
    public void Drained_HandlersStillRunning_WaitsForTheLast()
    {
        var count = new DrainCount();
        count.HandlerStarted();
        count.HandlerStarted();
        count.ReceiversEnded();
        count.HandlerEnded();
        Assert.False(count.Drained.IsCompleted);
        Assert.Equal(1, count.Handling);
        count.HandlerEnded();
        Assert.True(count.Drained.IsCompleted);
    }

    /// <summary>The last handler and the receivers' end, on two threads at once, many times: the drain is never missed.</summary>
    [Fact]
    public async Task Drained_LastHandlerRacingTheReceiversEnd_IsNeverMissed()
    {
        for (var round = 0; round < 20_000; round++)
        {
            var count = new DrainCount();
            count.HandlerStarted();
            using var go = new Barrier(2);
            var handler = Task.Run(() =>
            {
                go.SignalAndWait();
                count.HandlerEnded();
            });
            var receivers = Task.Run(() =>
            {
                go.SignalAndWait();
                count.ReceiversEnded();
            });
            await Task.WhenAll(handler, receivers);
            Assert.True(count.Drained.IsCompleted, $"round {round}: the drain was missed");
        }
    }
}
