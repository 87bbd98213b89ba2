using LoginConsumer.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Hosting;

/// <summary>
/// At start, opens a database connection until one succeeds, with jittered backoff, for at most
/// <see cref="StartupOptions.Timeout"/>; then ends the process with exit code 4 (3 when PostgreSQL refuses the
/// credentials or the database). Receiving does not wait for it: a batch that fails meanwhile pauses receiving as
/// any database outage does. After the first success it has nothing more to do; later outages are
/// <see cref="DatabaseAvailability"/>'s.
/// </summary>
public sealed partial class DatabaseStartupCheck(
    IDbContextFactory<LoginDbContext> contextFactory,
    IOptions<StartupOptions> options,
    IOptions<BatchWriterOptions> writerOptions,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<DatabaseStartupCheck> logger) : BackgroundService
{
    public const int UnreachableExitCode = 4;
    public const int RefusedExitCode = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timeout = options.Value.Timeout;
        var start = time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            Exception failure;
            try
            {
                using var call = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                call.CancelAfter(writerOptions.Value.CommandTimeout);
                var context = await contextFactory.CreateDbContextAsync(call.Token).ConfigureAwait(false);
                await using (context.ConfigureAwait(false))
                {
                    await context.Database.OpenConnectionAsync(call.Token).ConfigureAwait(false);
                    await context.Database.CloseConnectionAsync().ConfigureAwait(false);
                }

                if (attempt > 1)
                {
                    LogReached(attempt);
                }

                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            var left = timeout - time.GetElapsedTime(start);
            if (DatabaseRefusal.IsFinal(failure) || left <= TimeSpan.Zero)
            {
                var refused = DatabaseRefusal.IsFinal(failure);
                var error = failure.GetType().Name;
                LogGaveUp(failure, attempt, timeout, error);
                Environment.ExitCode = refused ? RefusedExitCode : UnreachableExitCode;
                lifetime.StopApplication();
                return;
            }

            var pause = Pause(attempt, left);
            var kind = failure.GetType().Name;
            LogWaiting(attempt, kind, pause);
            try
            {
                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static TimeSpan Pause(int attempt, TimeSpan left)
    {
        var backoff = LoginConsumer.Sqs.SqsCallPolicy.Backoff(attempt);
        return backoff < left ? backoff : left;
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Warning, Message = "PostgreSQL does not accept connections yet (attempt {Attempt}, {Error}); trying again in {Pause}")]
    private partial void LogWaiting(int attempt, string error, TimeSpan pause);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Information, Message = "PostgreSQL accepted a connection at attempt {Attempt}")]
    private partial void LogReached(int attempt);

    [LoggerMessage(EventId = 1903, Level = LogLevel.Critical, Message = "PostgreSQL could not be used at start after {Attempts} attempts within Startup:Timeout {Timeout} ({Error}); stopping")]
    private partial void LogGaveUp(Exception exception, int attempts, TimeSpan timeout, string error);
}
