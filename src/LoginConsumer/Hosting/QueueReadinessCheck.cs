using LoginConsumer.Sqs;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginConsumer.Hosting;

/// <summary>Ready: login-queue and its error queue can be resolved and read.</summary>
public sealed class QueueReadinessCheck(Amazon.SQS.IAmazonSQS sqs, SqsCallPolicy policy, QueueTopology topology) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // One attempt, bounded by the call timeout: a probe that hangs on an unreachable queue would itself time out.
            var once = new SqsCall(1, policy.CallTimeout, TimeSpan.MaxValue);
            var queues = await policy.RunAsync("resolve the queues", topology.ResolveAsync, once, cancellationToken).ConfigureAwait(false);
            await policy.RunAsync(
                "GetQueueAttributes",
                token => sqs.GetQueueAttributesAsync(queues.Main, [Amazon.SQS.QueueAttributeName.ApproximateNumberOfMessages], token),
                once,
                cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("The queues are reachable.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The queue check failed: " + SqsCallPolicy.Describe(ex));
        }
    }
}
