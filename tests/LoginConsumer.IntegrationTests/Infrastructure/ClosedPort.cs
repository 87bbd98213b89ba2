using System.Net;
using System.Net.Sockets;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback port held for the whole test run, bound but never listening: connections to it are refused at once,
/// as to a database that is down. Unlike a port that was merely free a moment ago, nothing else can take it meanwhile:
/// not a server another test starts, and not the source port of an outgoing connection (which could connect to itself).
/// </summary>
public static class ClosedPort
{
    private static readonly Socket Held = Bind();

    public static int Port => ((IPEndPoint)Held.LocalEndPoint!).Port;

    /// <summary>A connection string for a database that is down.</summary>
    public static string DatabaseDown(int timeoutSeconds) =>
        $"Host=127.0.0.1;Port={Port};Database=x;Username=postgres;Password=postgres;Timeout={timeoutSeconds}";

    private static Socket Bind()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
