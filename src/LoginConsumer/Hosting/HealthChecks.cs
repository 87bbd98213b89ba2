using LoginConsumer.Persistence;
using LoginConsumer.Sqs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Hosting;

/// <summary>Live: the receive loop has gone round within Sqs:LoopStallAfter. A stuck loop is a reason to restart the pod.</summary>
public sealed class ReceiveLoopLivenessCheck(SqsReceiveLoop loop, TimeProvider time, IOptions<SqsOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var idle = time.GetUtcNow() - loop.LastProgress;
        var data = new Dictionary<string, object> { ["seconds_since_progress"] = Math.Round(idle.TotalSeconds, 1), ["in_flight"] = loop.InFlight };
        return Task.FromResult(idle <= options.Value.LoopStallAfter
            ? HealthCheckResult.Healthy("The receive loop is going round.", data)
            : HealthCheckResult.Unhealthy($"The receive loop has made no progress for {idle.TotalSeconds:F0} s (limit {options.Value.LoopStallAfter.TotalSeconds:F0} s).", data: data));
    }
}

/// <summary>Ready: the database answers and holds every migration this build knows.</summary>
public sealed class DatabaseReadinessCheck(IDbContextFactory<LoginDbContext> contextFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
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
            return HealthCheckResult.Unhealthy("The database check failed: " + ex.GetType().Name + ": " + ex.Message);
        }
    }
}

/// <summary>Ready: login-queue and its error queue can be resolved and read.</summary>
public sealed class QueueReadinessCheck(Amazon.SQS.IAmazonSQS sqs, QueueTopology topology) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var queues = await topology.ResolveAsync(cancellationToken).ConfigureAwait(false);
            await sqs.GetQueueAttributesAsync(queues.Main, [Amazon.SQS.QueueAttributeName.ApproximateNumberOfMessages], cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The queues are reachable.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The queue check failed: " + ex.GetType().Name + ": " + ex.Message);
        }
    }
}

/// <summary>Publishes the readiness checks' outcome as the loginconsumer.ready gauge, for alerting.</summary>
public sealed class ReadinessMetricPublisher(Telemetry.LoginConsumerTelemetry telemetry) : IHealthCheckPublisher
{
    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        telemetry.ReadinessChecked(report.Status == HealthStatus.Healthy);
        return Task.CompletedTask;
    }
}
