using System.Diagnostics.CodeAnalysis;
using LoginConsumer.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginConsumer.Hosting;

/// <summary>
/// Ready: the database takes writes (the batch writer's gate is open), answers, and holds every migration this build
/// knows. The description names what failed, never an exception's message (it can carry a host, a user or SQL).
/// </summary>
public sealed class DatabaseReadinessCheck(IDbContextFactory<LoginDbContext> contextFactory, DatabaseAvailability availability) : IHealthCheck
{
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "EF Core marks migrations as needing run-time code generation. The native build keeps this assembly whole (TrimMode partial), so its migrations are found and created; ContainerTests runs migrate and probe ready from the published executable.")]
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!availability.IsAvailable)
        {
            return HealthCheckResult.Unhealthy("The database cannot be reached or refuses writes; receiving is paused until a write probe succeeds.");
        }

        try
        {
            var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            await using (db.ConfigureAwait(false))
            {
                if (!await db.Database.CanConnectAsync(cancellationToken).ConfigureAwait(false))
                {
                    return HealthCheckResult.Unhealthy("The database cannot be reached.");
                }

                var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
                return pending.Count == 0
                    ? HealthCheckResult.Healthy("The database is reachable and migrated.")
                    : HealthCheckResult.Unhealthy($"Migrations not applied: {string.Join(", ", pending)}. Run `LoginConsumer migrate`.");
            }
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The database check failed: " + Failure(ex) + ".");
        }
    }

    private static string Failure(Exception exception) => exception switch
    {
        Npgsql.PostgresException postgres => "SQLSTATE " + postgres.SqlState,
        _ => exception.GetType().Name,
    };
}
