using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace LoginConsumer.Hosting;

/// <summary>
/// One host builder for every command but run: appsettings*.json beside the executable, then environment variables.
/// Their log lines go to stderr, so that what a command prints on stdout (text or -o json) is all a script reads.
/// </summary>
public static class LoginConsumerHost
{
    public static HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        ApplyLoggingDefaults(builder);
        builder.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        return builder;
    }

    /// <summary>
    /// In a container (DOTNET_RUNNING_IN_CONTAINER=true, set by .NET's images and ours) logs are JSON lines unless
    /// Logging:Console:FormatterName says otherwise; elsewhere they are plain text, one line each. The formatter is
    /// always named, because only a named formatter reads Logging:Console:FormatterOptions (timestamps, scopes). The
    /// text timestamp ends with a space to part it from the level; a JSON value must not.
    /// </summary>
    public static void ApplyLoggingDefaults(IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var defaults = new Dictionary<string, string?>();
        if (string.IsNullOrEmpty(configuration["Logging:Console:FormatterName"]))
        {
            var inContainer = string.Equals(Environment.GetEnvironmentVariable("DOTNET_RUNNING_IN_CONTAINER"), "true", StringComparison.OrdinalIgnoreCase);
            defaults["Logging:Console:FormatterName"] = inContainer ? "json" : "simple";
        }

        var formatter = defaults.GetValueOrDefault("Logging:Console:FormatterName") ?? configuration["Logging:Console:FormatterName"];
        if (string.Equals(formatter, "json", StringComparison.OrdinalIgnoreCase)
            && configuration["Logging:Console:FormatterOptions:TimestampFormat"] is { } stamp && stamp != stamp.TrimEnd())
        {
            defaults["Logging:Console:FormatterOptions:TimestampFormat"] = stamp.TrimEnd();
        }

        if (defaults.Count > 0)
        {
            configuration.AddInMemoryCollection(defaults);
        }
    }
}
