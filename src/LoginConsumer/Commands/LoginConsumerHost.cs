using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace LoginConsumer.Commands;

/// <summary>One host builder for every command: appsettings*.json beside the executable, then environment variables.</summary>
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
        return builder;
    }

    /// <summary>
    /// In a container (DOTNET_RUNNING_IN_CONTAINER=true, set by .NET's images and ours) logs are JSON lines unless
    /// Logging:Console:FormatterName says otherwise; elsewhere they are plain text, one line each.
    /// </summary>
    public static void ApplyLoggingDefaults(IHostApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["Logging:Console:FormatterName"])
            && string.Equals(Environment.GetEnvironmentVariable("DOTNET_RUNNING_IN_CONTAINER"), "true", StringComparison.OrdinalIgnoreCase))
        {
            builder.Configuration.AddInMemoryCollection([new("Logging:Console:FormatterName", "json")]);
        }
    }
}
