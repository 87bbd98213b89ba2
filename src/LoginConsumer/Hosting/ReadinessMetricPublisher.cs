using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LoginConsumer.Hosting;

/// <summary>Publishes the readiness checks' outcome as the loginconsumer.ready gauge, for alerting.</summary>
public sealed class ReadinessMetricPublisher(Telemetry.LoginConsumerTelemetry telemetry) : IHealthCheckPublisher
{
    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        telemetry.ReadinessChecked(report.Status == HealthStatus.Healthy);
        return Task.CompletedTask;
    }
}
