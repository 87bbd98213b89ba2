using System.Diagnostics;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>
/// Starts the real SQS emulator and a real PostgreSQL cluster on free ports (scripts/services.sh) once for
/// the whole test run, and stops them when the run ends. Tests isolate themselves by database and queue
/// names, so test classes can run in parallel against one pair of services.
/// </summary>
public sealed class LocalServices
{
    private static readonly Lazy<Task<LocalServices>> Shared = new(StartSharedAsync);

    private readonly string _state = Path.Combine(Path.GetTempPath(), "loginconsumer-it-" + Guid.NewGuid().ToString("N")[..8]);

    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public string SqsEndpoint => Environment["AWS_ENDPOINT_URL_SQS"];

    public int PostgresPort => int.Parse(Environment["LC_PG_PORT"], System.Globalization.CultureInfo.InvariantCulture);

    public string PostgresBin => Environment["LC_PG_BIN"];

    public string PostgresData => Environment["LC_PG_DATA"];

    public string AdminConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={PostgresPort};Database={database};Username=postgres;Password=postgres;Pooling=false";

    public static Task<LocalServices> GetAsync() => Shared.Value;

    private static async Task<LocalServices> StartSharedAsync()
    {
        var services = new LocalServices();
        await services.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => services.StopAsync().GetAwaiter().GetResult();
        return services;
    }

    private async Task StartAsync()
    {
        var (code, output) = await RunScriptAsync("start", "--state", _state);
        if (code != 0)
        {
            throw new InvalidOperationException("scripts/services.sh start failed:\n" + output);
        }

        Environment = File.ReadAllLines(Path.Combine(_state, "env"))
            .Select(line => line.StartsWith("export ", StringComparison.Ordinal) ? line[7..] : line)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1].Trim('\''));

        // In-process SDK clients read the same standard settings the service does.
        foreach (var name in new[] { "AWS_ENDPOINT_URL_SQS", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY" })
        {
            System.Environment.SetEnvironmentVariable(name, Environment[name]);
        }
    }

    private async Task StopAsync()
    {
        await RunScriptAsync("stop", "--state", _state);
        Directory.Delete(_state, recursive: true);
    }

    public static async Task<(int ExitCode, string Output)> RunScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "scripts", "services.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await stdout + await stderr);
    }
}
