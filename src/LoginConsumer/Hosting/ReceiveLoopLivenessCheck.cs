using LoginConsumer.Sqs;
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
