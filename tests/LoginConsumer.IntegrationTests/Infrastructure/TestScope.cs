using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Commands;
using LoginConsumer.Masking;
using LoginConsumer.Persistence;
using LoginConsumer.Sqs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;
using LoginConsumer.Hosting;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>One test's own database and queue pair on the shared services, and ways to drive the real consumer against them.</summary>
public sealed class TestScope : IAsyncDisposable
{
    public const string KeyId = "t1";
    public const string KeyBase64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private readonly string _id = Guid.NewGuid().ToString("N")[..10];

    private readonly Func<string, string> _adminConnectionString;

    private TestScope(LocalServices services, PrivatePostgres? postgres)
    {
        Services = services;
        _adminConnectionString = postgres is null ? services.AdminConnectionString : postgres.AdminConnectionString;
        Sqs = new AmazonSQSClient(new AmazonSQSConfig());
        DatabaseName = "t_" + _id;
        QueueName = "login-" + _id;
        ErrorQueueName = QueueName + "_error";
        ConnectionString = _adminConnectionString(DatabaseName);
    }

    public LocalServices Services { get; }

    private static TransportAttributes CreateSigner()
    {
        using var key = new MaskingKey(KeyId, Convert.FromBase64String(KeyBase64));
        return new TransportAttributes(new Dictionary<string, byte[]> { [KeyId] = key.TransportAttributesKey }, KeyId, TimeProvider.System);
    }

    /// <summary>An SQS client for <paramref name="endpoint"/> (a fault proxy's) with the same region and credentials as the shared one.</summary>
    public static AmazonSQSClient SqsClient(string endpoint) => new(new AmazonSQSConfig
    {
        ServiceURL = endpoint,
        AuthenticationRegion = Environment.GetEnvironmentVariable("AWS_REGION"),
    });

    public IAmazonSQS Sqs { get; }

    public string DatabaseName { get; }

    public string QueueName { get; private set; }

    public string ErrorQueueName { get; private set; }

    public string ConnectionString { get; }

    public string QueueUrl { get; private set; } = string.Empty;

    public string ErrorQueueUrl { get; private set; } = string.Empty;

    /// <summary>Signs redrive attributes as the consumer configured by this scope verifies them.</summary>
    public static TransportAttributes Signer { get; } = CreateSigner();

    public static Masker Masker { get; } = new(KeyRing.Create(
        new MaskingOptions { Keys = { [KeyId] = KeyBase64 }, ActiveKeyId = KeyId }, allowDevelopmentKey: false));

    /// <summary>
    /// Every log source at Trace (MassTransit, EF Core, Npgsql, ASP.NET Core, the AWS SDK), with spans and metric points
    /// printed to the console too: what the no-PII tests search.
    /// </summary>
    public static Dictionary<string, string?> EverythingObservable() => new()
    {
        ["Logging__LogLevel__Default"] = "Trace",
        ["Logging__LogLevel__MassTransit"] = "Trace",
        ["Logging__LogLevel__Microsoft"] = "Trace",
        ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
        ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Trace",
        ["Logging__LogLevel__Microsoft.EntityFrameworkCore.Database"] = "Trace",
        ["Logging__LogLevel__Npgsql"] = "Trace",
        ["Logging__LogLevel__Amazon"] = "Trace",
        ["Telemetry__Console"] = "true",
    };

    /// <summary>Proof that a run's output holds what EverythingObservable turns on, so a search of it for PII means something.</summary>
    public static void AssertEverythingWasObserved(string output)
    {
        Assert.Contains("Amazon[1701]", output, StringComparison.Ordinal);                    // AWS SDK log lines
        Assert.Contains("Microsoft.EntityFrameworkCore", output, StringComparison.Ordinal);   // EF Core log lines
        Assert.Contains("Activity.DisplayName:        process", output, StringComparison.Ordinal); // our spans
        Assert.Contains("Name: MassTransit", output, StringComparison.Ordinal);               // MassTransit's spans
        Assert.Contains("messaging.message.id", output, StringComparison.Ordinal);
        Assert.Contains("Metric Name: loginconsumer.messages.consumed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Sensitive data logging is enabled", output, StringComparison.Ordinal); // EF Core's warning when it is on
    }

    /// <summary>A fresh database (migrated unless told otherwise) and a queue pair with the production redrive policy shape.</summary>
    public static async Task<TestScope> CreateAsync(
        bool migrate = true, int visibilityTimeoutSeconds = 30, int maxReceiveCount = 5, PrivatePostgres? postgres = null)
    {
        var scope = new TestScope(await LocalServices.GetAsync(), postgres);
        await using (var admin = new NpgsqlConnection(scope._adminConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {scope.DatabaseName}", admin);
            await create.ExecuteNonQueryAsync();
        }

        if (migrate)
        {
            await scope.MigrateAsync();
        }

        await scope.CreateQueuesAsync(visibilityTimeoutSeconds, maxReceiveCount);
        return scope;
    }

    public async Task MigrateAsync()
    {
        await using var context = new LoginDbContext(new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql(ConnectionString).Options);
        await context.Database.MigrateAsync();
    }

    public Dictionary<string, string> ConsumerEnvironment() => new()
    {
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["ConnectionStrings__LoginDb"] = ConnectionString,
        ["Sqs__QueueName"] = QueueName,
        ["Sqs__ErrorQueueName"] = ErrorQueueName,
        ["Masking__Keys__" + KeyId] = KeyBase64,
        ["Masking__ActiveKeyId"] = KeyId,
        ["Consumer__RetryMinInterval"] = "00:00:00.050",
        ["Consumer__RetryMaxInterval"] = "00:00:00.200",
        ["Consumer__RetryIntervalDelta"] = "00:00:00.050",
    };

    /// <summary>
    /// The real composition, in process, with this scope's settings and <paramref name="overrides"/> (configuration keys
    /// with ':'). Its own receive loop reads a separate, empty queue, so only the test hands it messages.
    /// </summary>
    public IHost BuildInProcessConsumer(IDictionary<string, string?>? overrides = null)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        var settings = ConsumerEnvironment().ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => (string?)kv.Value);
        settings["Sqs:QueueName"] = QueueName + "-idle";
        settings["Sqs:ErrorQueueName"] = QueueName + "-idle_error";
        settings["Sqs:CreateTopology"] = "true";
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLoginConsumer(new RunMode(UntilEmpty: false));
        return builder.Build();
    }

    /// <summary>Runs the real executable (as deployed) with this scope's settings; an override of null removes a setting.</summary>
    public Task<ProcessResult> RunConsumerAsync(string[] args, IDictionary<string, string?>? overrides = null, TimeSpan? timeout = null) =>
        RunProcessAsync(args, WithOverrides(overrides), timeout ?? TimeSpan.FromMinutes(2));

    public Process StartConsumer(string[] args, IDictionary<string, string?>? overrides = null) => StartProcess(args, WithOverrides(overrides));

    /// <summary>An environment value that removes the variable from the child process's environment.</summary>
    public const string Unset = "\u0000unset";

    private Dictionary<string, string> WithOverrides(IDictionary<string, string?>? overrides)
    {
        var environment = ConsumerEnvironment();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                // Unset in the child even when this process has it (LocalServices exports the AWS settings).
                environment[key] = Unset;
            }
            else
            {
                environment[key] = value;
            }
        }

        return environment;
    }

    /// <summary>
    /// The executable most tests run: the published native one that ./test.sh names in LC_TEST_CONSUMER (what ships), else
    /// the build output under the JIT. The publish test runs the Dockerfile's entry point instead.
    /// </summary>
    private static readonly string[] BuildOutput = Environment.GetEnvironmentVariable("LC_TEST_CONSUMER") is { Length: > 0 } published
        ? [published]
        : ["dotnet", RepoPaths.ConsumerDll];

    public static Process StartProcess(string[] args, IDictionary<string, string> environment) => StartProcess(BuildOutput, args, environment);

    /// <summary>Starts <paramref name="entryPoint"/> (a program and its leading arguments, as a Dockerfile's ENTRYPOINT) with <paramref name="args"/>.</summary>
    public static Process StartProcess(IReadOnlyList<string> entryPoint, string[] args, IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(entryPoint[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in entryPoint.Skip(1).Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            if (value == Unset)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        return Process.Start(start)!;
    }

    public static Task<ProcessResult> RunProcessAsync(string[] args, IDictionary<string, string> environment, TimeSpan timeout) =>
        RunProcessAsync(BuildOutput, args, environment, timeout);

    public static async Task<ProcessResult> RunProcessAsync(IReadOnlyList<string> entryPoint, string[] args, IDictionary<string, string> environment, TimeSpan timeout)
    {
        using var process = StartProcess(entryPoint, args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"LoginConsumer {string.Join(' ', args)} did not exit within {timeout}:\n{await stdout}{await stderr}");
        }

        return new ProcessResult(process.ExitCode, await stdout + await stderr, await stderr);
    }

    /// <summary>Creates a queue pair and makes it this scope's; a suffix gives a test a second pair with other settings.</summary>
    public async Task CreateQueuesAsync(int visibilityTimeoutSeconds, int maxReceiveCount, string suffix = "")
    {
        QueueName = "login-" + _id + suffix;
        ErrorQueueName = QueueName + "_error";
        ErrorQueueUrl = (await Sqs.CreateQueueAsync(ErrorQueueName)).QueueUrl;
        var errorArn = (await Sqs.GetQueueAttributesAsync(ErrorQueueUrl, [QueueAttributeName.QueueArn])).QueueARN;
        QueueUrl = (await Sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = QueueName,
            Attributes = new Dictionary<string, string>
            {
                [QueueAttributeName.VisibilityTimeout] = visibilityTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
                [QueueAttributeName.RedrivePolicy] = JsonSerializer.Serialize(new { deadLetterTargetArn = errorArn, maxReceiveCount }),
            },
        })).QueueUrl;
    }

    public Task<int> SendAsync(IEnumerable<string> bodies) => LoginConsumer.Sample.SampleSender.SendAllAsync(Sqs, QueueUrl, bodies, CancellationToken.None);

    public async Task<string> SendOneAsync(string body) => (await Sqs.SendMessageAsync(QueueUrl, body)).MessageId;

    /// <summary>
    /// Sends a message and receives it without deleting until the queue's RedrivePolicy moves it to the error queue
    /// ("retries exhausted"); SQS keeps its MessageId on that move. Returns the id.
    /// </summary>
    public async Task<string> ExhaustAsync(string body, int maxReceiveCount)
    {
        var id = await SendOneAsync(body);
        await ReceiveUntilDeadLetteredAsync(maxReceiveCount);
        return id;
    }

    /// <summary>Receives whatever login-queue holds, without deleting, until the RedrivePolicy has moved it.</summary>
    public async Task ReceiveUntilDeadLetteredAsync(int maxReceiveCount)
    {
        for (var receive = 0; receive <= maxReceiveCount; receive++)
        {
            await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = QueueUrl, VisibilityTimeout = 0, MaxNumberOfMessages = 10 });
        }
    }

    /// <summary>Reads every message in the error queue once (they stay invisible for a minute afterwards).</summary>
    public async Task<List<Message>> ReceiveAllErrorsAsync()
    {
        var all = new List<Message>();
        while (true)
        {
            var response = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = ErrorQueueUrl,
                MaxNumberOfMessages = 10,
                VisibilityTimeout = 60,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = ["All"],
            });
            if (response.Messages is not { Count: > 0 } messages)
            {
                return all;
            }

            all.AddRange(messages);
        }
    }

    public async Task<(int Visible, int NotVisible)> MainQueueCountsAsync()
    {
        var attributes = await Sqs.GetQueueAttributesAsync(QueueUrl, [QueueAttributeName.ApproximateNumberOfMessages, QueueAttributeName.ApproximateNumberOfMessagesNotVisible]);
        return (attributes.ApproximateNumberOfMessages, attributes.ApproximateNumberOfMessagesNotVisible);
    }

    public async Task<List<StoredRow>> RowsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT message_id, user_id, device_type, masked_ip, masked_device_id, locale, app_version, app_version_text, create_date FROM user_logins",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<StoredRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new StoredRow(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetInt32(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateOnly>(8)));
        }

        return rows;
    }

    public async Task<long> RowCountAsync() => await ScalarAsync<long>("SELECT count(*) FROM user_logins");

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async ValueTask DisposeAsync()
    {
        Sqs.Dispose();
        await using var admin = new NpgsqlConnection(_adminConnectionString("postgres"));
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {DatabaseName} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
