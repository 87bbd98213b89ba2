namespace LoginConsumer.Infrastructure;

/// <summary>
/// The one backoff: the pause before attempt <c>n</c> grows from <see cref="First"/> by <see cref="Factor"/> each attempt, up to
/// <see cref="Max"/>. With <see cref="Jitter"/>, each pause is drawn from the upper half of that ceiling, so that the
/// retries of many callers after one outage do not arrive together while none comes back at once.
/// </summary>
public readonly record struct Backoff(TimeSpan First, TimeSpan Max, double Factor = 2, bool Jitter = true)
{
    // Past this many doublings every useful ceiling has long reached Max.
    private const int MaxGrowths = 30;

    /// <summary>The pause before attempt <paramref name="attempt"/> (1 for the first retry; lower counts as 1).</summary>
    public TimeSpan For(int attempt)
    {
        var ceiling = Math.Min(Max.Ticks, First.Ticks * Math.Pow(Factor, Math.Clamp(attempt - 1, 0, MaxGrowths)));
        return TimeSpan.FromTicks((long)(Jitter ? (ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2) : ceiling));
    }
}
