using LoginConsumer.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

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
    FatalStop fatal,
    TimeProvider time,
    ILogger<DatabaseStartupCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timeout = options.Value.Timeout;
        try
        {
            var context = await contextFactory.CreateDbContextAsync(stoppingToken).ConfigureAwait(false);
            await using (context.ConfigureAwait(false))
            {
                var attempts = await DatabaseConnectionWait.WaitAsync(
                    context, timeout, writerOptions.Value.CommandTimeout, time, (attempt, ex, pause) => LogWaiting(attempt, ex.GetType().Name, pause), stoppingToken).ConfigureAwait(false);
                if (attempts > 1)
                {
                    LogReached(attempts);
                }
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping anyway: whatever failed meanwhile is not why.
        }
        catch (Exception ex)
        {
            var error = ex.GetType().Name;
            LogGaveUp(timeout, error);
            var final = DatabaseRefusal.IsFinal(ex);
            fatal.Stop(
                final ? ex : new DependencyUnavailableException($"PostgreSQL could not be used within Startup:Timeout {timeout}.", ex),
                final ? ExitCodes.Configuration : ExitCodes.Unreachable);
        }
    }

    [LoggerMessage(EventId = 1901, Level = LogLevel.Warning, Message = "PostgreSQL does not accept connections yet (attempt {Attempt}, {Error}); trying again in {Pause}")]
    private partial void LogWaiting(int attempt, string error, TimeSpan pause);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Information, Message = "PostgreSQL accepted a connection at attempt {Attempt}")]
    private partial void LogReached(int attempt);

    [LoggerMessage(EventId = 1903, Level = LogLevel.Critical, Message = "PostgreSQL could not be used at start within Startup:Timeout {Timeout} ({Error}); stopping")]
    private partial void LogGaveUp(TimeSpan timeout, string error);
}
