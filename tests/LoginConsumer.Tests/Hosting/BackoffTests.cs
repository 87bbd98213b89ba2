using LoginConsumer.Hosting;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Hosting;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 5)]
    [InlineData(2, 20)]
    [InlineData(3, 80)]
    [InlineData(5, 900)] // 5 × 4⁴ = 1280 s, held at the 15 minutes' maximum
    [InlineData(int.MaxValue, 900)]
    public void WithoutJitter_GrowsByItsFactorUpToItsMaximum(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), new Backoff(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(15), Factor: 4, Jitter: false).For(attempt));

    [Fact]
    public void WithJitter_DrawsFromTheUpperHalfOfTheCeilingAndVaries()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
        foreach (var (attempt, ceiling) in new[] { (1, 200), (2, 400), (3, 800), (6, 5000), (50, 5000) })
        {
            var pauses = Enumerable.Range(0, 200).Select(_ => backoff.For(attempt).TotalMilliseconds).ToList();
            Assert.All(pauses, p => Assert.InRange(p, ceiling / 2.0, ceiling));
            Assert.True(pauses.Distinct().Count() > 100, $"attempt {attempt}: the pauses should vary");
        }
    }

    [Fact]
    public void AZeroFirstPause_StaysZero() =>
        Assert.Equal(TimeSpan.Zero, new Backoff(TimeSpan.Zero, TimeSpan.FromMinutes(15), Factor: 4, Jitter: false).For(3));
}
