using LoginConsumer.Sqs;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Hosting;

/// <summary>
/// Live: the receive loop has gone round within Sqs:LoopStallAfter, and no background loop has ended or failed every
/// round for that long. Either is a reason to restart the pod.
/// </summary>
public sealed class ReceiveLoopLivenessCheck(SqsReceiveLoop loop, LoopSupervisor supervisor, TimeProvider time, IOptions<SqsOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var stallAfter = options.Value.LoopStallAfter;
        var idle = time.GetUtcNow() - loop.LastProgress;
        var unhealthyLoops = supervisor.Unhealthy(stallAfter);
        var data = new Dictionary<string, object>
        {
            ["seconds_since_progress"] = Math.Round(idle.TotalSeconds, 1),
            ["in_flight"] = loop.InFlight,
            ["in_flight_bytes"] = loop.InFlightBytes,
        };
        if (unhealthyLoops.Count > 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Background loop trouble: " + string.Join("; ", unhealthyLoops) + ".", data: data));
        }

        return Task.FromResult(idle <= stallAfter
            ? HealthCheckResult.Healthy("The receive loop is going round.", data)
            : HealthCheckResult.Unhealthy($"The receive loop has made no progress for {idle.TotalSeconds:F0} s (limit {stallAfter.TotalSeconds:F0} s).", data: data));
    }
}
