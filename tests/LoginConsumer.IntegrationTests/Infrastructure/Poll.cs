namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>Polls a condition with a deadline (never a busy-wait, never an unbounded wait).</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {timeout}.");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
        }
    }

    public static async Task<T> ForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout)
        where T : class
    {
        T? value = null;
        await UntilAsync(async () => (value = await probe()) is not null, timeout, TimeSpan.FromMilliseconds(200));
        return value!;
    }
}
