using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP proxy on a free loopback port that a test puts between the consumer and the SQS emulator or PostgreSQL, and
/// that fails the way networks fail: every open connection reset; new connections reset for a window; latency added
/// to every chunk; black-holed (connections accepted, nothing forwarded, nothing answered); and a reset of the
/// connection that carries a request containing a given text, before that request reaches the server.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<Connection, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _refusing;
    private volatile bool _blackHoled;
    private int _latencyMs;
    private readonly ConcurrentDictionary<string, StrongBox<int>> _resetPatterns = new(StringComparer.Ordinal);
    private int _accepted;
    private int _resets;

    public FaultProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string HttpEndpoint => $"http://127.0.0.1:{Port}";

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections reset by a fault so far.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Requests still to be reset by <see cref="ResetRequestsContaining"/>.</summary>
    public int PendingRequestResets => _resetPatterns.Values.Sum(left => Math.Max(0, Volatile.Read(ref left.Value)));

    public static FaultProxy ForUrl(string url)
    {
        var uri = new Uri(url);
        return new FaultProxy(uri.Host, uri.Port);
    }

    /// <summary>Sends a TCP reset on every open connection.</summary>
    public void ResetAll()
    {
        foreach (var connection in _open.Keys)
        {
            Reset(connection);
        }
    }

    /// <summary>Resets every open connection and every new one for <paramref name="window"/>; then connections go through again.</summary>
    public async Task BlipAsync(TimeSpan window)
    {
        _refusing = true;
        ResetAll();
        await Task.Delay(window);
        _refusing = false;
    }

    /// <summary>While on, connections are accepted and whatever they send goes nowhere: no answer, no reset.</summary>
    public void BlackHole(bool on) => _blackHoled = on;

    public void SetLatency(TimeSpan latency) => Volatile.Write(ref _latencyMs, (int)latency.TotalMilliseconds);

    /// <summary>Resets the connection of each of the next <paramref name="times"/> requests whose bytes contain <paramref name="text"/>, before they are forwarded.</summary>
    public void ResetRequestsContaining(string text, int times) => _resetPatterns[text] = new StrongBox<int>(times);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var connection in _open.Keys)
        {
            connection.Close();
        }

        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            Interlocked.Increment(ref _accepted);
            if (_refusing)
            {
                Interlocked.Increment(ref _resets);
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connection = new Connection(client, server);
        _open.TryAdd(connection, 0);
        try
        {
            if (_blackHoled)
            {
                // Accepted, and never answered: the client waits until its own timeout.
                connection.BlackHoled = true;
                await PumpAsync(connection, client, server, fromClient: true);
                return;
            }

            await server.ConnectAsync(_targetHost == "localhost" ? "127.0.0.1" : _targetHost, _targetPort, _stop.Token);
            await Task.WhenAny(PumpAsync(connection, client, server, fromClient: true), PumpAsync(connection, server, client, fromClient: false));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            _open.TryRemove(connection, out _);
            connection.Close();
        }
    }

    private async Task PumpAsync(Connection connection, Socket from, Socket to, bool fromClient)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                if (_blackHoled || connection.BlackHoled)
                {
                    // Once black-holed, a connection stays so: its peer waits for an answer that never comes.
                    connection.BlackHoled = true;
                    continue;
                }

                if (fromClient && MatchesResetPattern(buffer.AsSpan(0, read)))
                {
                    Reset(connection);
                    return;
                }

                var latency = Volatile.Read(ref _latencyMs);
                if (latency > 0)
                {
                    await Task.Delay(latency, _stop.Token);
                }

                if (!to.Connected)
                {
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private bool MatchesResetPattern(ReadOnlySpan<byte> chunk)
    {
        foreach (var (pattern, left) in _resetPatterns)
        {
            if (Volatile.Read(ref left.Value) > 0 && chunk.IndexOf(Encoding.ASCII.GetBytes(pattern)) >= 0)
            {
                return Interlocked.Decrement(ref left.Value) >= 0;
            }
        }

        return false;
    }

    private void Reset(Connection connection)
    {
        Interlocked.Increment(ref _resets);
        connection.Reset();
    }

    private sealed class Connection(Socket client, Socket server)
    {
        public volatile bool BlackHoled;

        public void Reset()
        {
            foreach (var socket in new[] { client, server })
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                }
            }

            Close();
        }

        public void Close()
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
