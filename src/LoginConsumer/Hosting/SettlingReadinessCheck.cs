using LoginConsumer.Sqs;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginConsumer.Hosting;

/// <summary>Ready: received messages can be settled (deleted, or sent to the error queue); while they cannot, receiving is paused.</summary>
public sealed class SettlingReadinessCheck(SettleHealth health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(health.Stalled is { } why
            ? HealthCheckResult.Unhealthy(why + "; receiving is paused. Check the IAM role and the queue policies.")
            : HealthCheckResult.Healthy("Deletes and error-queue sends work."));
}
