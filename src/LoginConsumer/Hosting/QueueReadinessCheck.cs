using LoginConsumer.Sqs;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginConsumer.Hosting;

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
