using Microsoft.EntityFrameworkCore;

namespace LoginConsumer.Persistence;

/// <summary>
/// Opens a connection until one succeeds, with jittered backoff, for at most a given time (with none, once). A
/// refusal that waiting cannot mend (<see cref="DatabaseRefusal"/>) ends it at once. What ended it is thrown as is.
/// </summary>
public static class DatabaseConnectionWait
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(10);

    /// <returns>How many attempts it took.</returns>
    public static async Task<int> WaitAsync(
        LoginDbContext context, TimeSpan timeout, TimeSpan attemptTimeout, TimeProvider time, Action<int, Exception, TimeSpan> retrying, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                call.CancelAfter(attemptTimeout);
                await context.Database.OpenConnectionAsync(call.Token).ConfigureAwait(false);
                await context.Database.CloseConnectionAsync().ConfigureAwait(false);
                return attempt;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !DatabaseRefusal.IsFinal(ex))
            {
                var left = timeout - time.GetElapsedTime(start);
                if (left <= TimeSpan.Zero)
                {
                    throw;
                }

                // Full jitter over an exponential ceiling, never past the deadline.
                var ceiling = Math.Min(MaxPause.TotalMilliseconds, FirstPause.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 10)));
                var pause = TimeSpan.FromMilliseconds(Math.Ceiling(Math.Min(left.TotalMilliseconds, (ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2))));
                retrying(attempt, ex, pause);
                await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
