using Microsoft.EntityFrameworkCore;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Persistence;

/// <summary>
/// Opens a connection until one succeeds, with jittered backoff, for at most a given time (with none, once). A
/// refusal that waiting cannot mend (<see cref="DatabaseRefusal"/>) ends it at once. What ended it is thrown as is.
/// </summary>
public static class DatabaseConnectionWait
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(10);
    private static readonly Backoff Pauses = new(FirstPause, MaxPause);

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

                // Never past the deadline.
                var next = Pauses.For(attempt + 1);
                var pause = TimeSpan.FromMilliseconds(Math.Ceiling((next < left ? next : left).TotalMilliseconds));
                retrying(attempt, ex, pause);
                await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
