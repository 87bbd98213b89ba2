using System.Globalization;
using System.Text.Json;
using LoginConsumer.Sqs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using LoginConsumer.Hosting;

namespace LoginConsumer.Hosting;

/// <summary>
/// The consumer's one HTTP port: /health/live, /health/ready and /metrics (Prometheus text). The address follows
/// ASP.NET Core's conventions (ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS); with neither set it is port 8080.
/// </summary>
public static class LoginConsumerWeb
{
    public const int DefaultPort = 8080;
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    public static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        LoginConsumerHost.ApplyLoggingDefaults(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
        {
            builder.WebHost.UseUrls($"http://*:{DefaultPort}");
        }

        return builder;
    }

    public static WebApplicationBuilder AddLoginWeb(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<ReceiveLoopLivenessCheck>("receive_loop", tags: [LiveTag])
            .AddCheck<DatabaseReadinessCheck>("database", tags: [ReadyTag])
            .AddCheck<QueueReadinessCheck>("queue", tags: [ReadyTag])
            .AddCheck<SettlingReadinessCheck>("settling", tags: [ReadyTag]);
        builder.Services.AddSingleton<IHealthCheckPublisher, ReadinessMetricPublisher>();
        builder.Services.Configure<HealthCheckPublisherOptions>(options =>
        {
            options.Predicate = check => check.Tags.Contains(ReadyTag);
            options.Delay = TimeSpan.FromSeconds(2);
            options.Period = TimeSpan.FromSeconds(15);
        });
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapLoginEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", Options(LiveTag));
        app.MapHealthChecks("/health/ready", Options(ReadyTag));
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static HealthCheckOptions Options(string tag) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResponseWriter = WriteAsync,
    };

    // Written field by field: serializing an anonymous type needs reflection a trimmed native build may not have.
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                json.WriteString("description", entry.Description);
                json.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    json.WritePropertyName(key);
                    WriteValue(json, value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case bool b: json.WriteBooleanValue(b); break;
            case int i: json.WriteNumberValue(i); break;
            case long l: json.WriteNumberValue(l); break;
            case double d: json.WriteNumberValue(d); break;
            default: json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }
}
