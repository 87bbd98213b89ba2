namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>A PostgreSQL cluster of one test's own, for tests that stop the database (the shared one serves parallel tests).</summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), "loginconsumer-it-pg-" + Guid.NewGuid().ToString("N")[..8]);

    private PrivatePostgres()
    {
    }

    public int Port { get; private set; }

    public static async Task<PrivatePostgres> StartAsync()
    {
        var postgres = new PrivatePostgres();
        var (code, output) = await LocalServices.RunScriptAsync("start", "--state", postgres._state, "--no-sqs");
        if (code != 0)
        {
            throw new InvalidOperationException("Could not start a private PostgreSQL:\n" + output);
        }

        var port = File.ReadAllText(Path.Combine(postgres._state, "pgport")).Trim();
        postgres.Port = int.Parse(port, System.Globalization.CultureInfo.InvariantCulture);
        return postgres;
    }

    public string AdminConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Password=postgres;Pooling=false";

    public Task StopServerAsync() => RunAsync("pg-stop");

    public Task StartServerAsync() => RunAsync("pg-start");

    public async ValueTask DisposeAsync()
    {
        await LocalServices.RunScriptAsync("stop", "--state", _state);
        Directory.Delete(_state, recursive: true);
    }

    private async Task RunAsync(string command)
    {
        var (code, output) = await LocalServices.RunScriptAsync(command, "--state", _state);
        if (code != 0)
        {
            throw new InvalidOperationException($"services.sh {command} failed:\n{output}");
        }
    }
}
