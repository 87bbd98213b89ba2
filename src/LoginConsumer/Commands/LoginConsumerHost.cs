using Microsoft.Extensions.Hosting;

namespace LoginConsumer.Commands;

/// <summary>One host builder for every command: appsettings*.json beside the executable, then environment variables.</summary>
public static class LoginConsumerHost
{
    public static HostApplicationBuilder CreateBuilder() =>
        Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
}
