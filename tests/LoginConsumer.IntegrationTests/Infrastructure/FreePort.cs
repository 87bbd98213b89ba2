using System.Net;
using System.Net.Sockets;

namespace LoginConsumer.IntegrationTests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback port nothing listens on: connections to it are refused at once, as to a database that is down.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
