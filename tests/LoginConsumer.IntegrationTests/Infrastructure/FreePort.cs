using System.Net;
using System.Net.Sockets;

namespace LoginConsumer.IntegrationTests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback port free at this moment, for a server a test starts to listen on. For a port that must stay closed, see <see cref="ClosedPort"/>.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
