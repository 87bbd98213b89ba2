namespace LoginConsumer.Telemetry;

/// <summary>
/// How spans and metrics leave the process beyond /metrics. OTLP is configured by the standard OTEL_* variables
/// (OTEL_EXPORTER_OTLP_ENDPOINT turns it on); this section holds what has no standard variable.
/// </summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>Print every span and metric point on the console (debugging; the no-PII tests read it).</summary>
    public bool Console { get; set; }
}
