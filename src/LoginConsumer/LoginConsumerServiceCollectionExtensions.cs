using Amazon.SQS;
using LoginConsumer.Hosting;
using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using LoginConsumer.Persistence;
using LoginConsumer.Sqs;
using LoginConsumer.Telemetry;
using MassTransit;
using MassTransit.Transports;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer;

/// <summary>All of the service's wiring. Each command takes the parts it needs.</summary>
public static class LoginConsumerServiceCollectionExtensions
{
    public const string ConnectionStringName = "LoginDb";
    public const string MigrationConnectionStringName = "LoginDbMigrations";

    /// <summary>The whole consumer: SQS receive loop → MassTransit dispatcher → consumer → batch writer.</summary>
    public static IHostApplicationBuilder AddLoginConsumer(this IHostApplicationBuilder builder, RunMode mode)
    {
        var services = builder.Services;
        builder.AddLoginDatabase(ConnectionStringName);
        builder.AddLoginSqs();
        builder.AddMasking();

        services.AddOptions<ConsumerOptions>().BindConfiguration(ConsumerOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ConsumerOptions>, ConsumerOptionsValidator>();
        services.AddOptions<BatchWriterOptions>().BindConfiguration(BatchWriterOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BatchWriterOptions>, BatchWriterOptionsValidator>();

        services.AddOptions<StartupOptions>().BindConfiguration(StartupOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StartupOptions>, StartupOptionsValidator>();
        services.AddSingleton<FatalStop>();
        services.AddHostedService<DatabaseStartupCheck>();
        services.AddSingleton(mode);
        services.Configure<HostOptions>(builder.Configuration.GetSection("HostOptions"));
        services.AddSingleton<LoginEventValidator>();

        // Registered before the receive loop so that the host stops it after the loop: rows already queued still get written.
        services.AddSingleton<LoginBatchWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<LoginBatchWriter>());

        services.AddMassTransit(x =>
        {
            x.AddConsumer<LoginEventConsumer, LoginEventConsumerDefinition>();
            x.UsingInMemory();
        });

        // The dispatcher's endpoint is named after the real queue; the consumer definition configures it.
        services.AddSingleton(sp =>
        {
            LogContext.ConfigureCurrentLogContextIfNull(sp);
            var queueName = sp.GetRequiredService<IOptions<SqsOptions>>().Value.QueueName;
            return sp.GetRequiredService<IReceiveEndpointDispatcherFactory>().CreateConsumerReceiver<LoginEventConsumer>(queueName);
        });
        services.AddSingleton<DatabaseAvailability>();
        services.AddSingleton<SettleHealth>();

        // Receive only what can be stored and settled: the database takes writes, and deletes and error-queue sends work.
        services.AddSingleton(sp => new ReceiveGate(async token =>
        {
            await sp.GetRequiredService<DatabaseAvailability>().WaitUntilAvailableAsync(token).ConfigureAwait(false);
            await sp.GetRequiredService<SettleHealth>().WaitUntilSettlingAsync(token).ConfigureAwait(false);
        }));
        services.AddSingleton<LoginMessageProcessor>();
        services.AddSingleton<IMessageProcessor, LoginMessageProcessing>();
        services.AddSingleton<VisibilityHeartbeat>();
        services.AddSingleton<DeleteBatcher>();
        services.AddSingleton<ErrorQueueSender>();
        services.AddSingleton<MessageLeases>();
        services.AddSingleton<DrainDetector>();
        services.AddSingleton<SqsMessageHandler>();
        services.AddSingleton<SqsReceiveLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<SqsReceiveLoop>());
        services.AddHostedService<ErrorQueueMonitor>();
        builder.AddLoginTelemetry();
        return builder;
    }

    /// <summary>
    /// Metrics always (read by /metrics; OTLP too when OTEL_EXPORTER_OTLP_ENDPOINT is set). Traces only when
    /// something exports them (OTLP, or Telemetry:Console=true for debugging), so an unobserved consumer pays nothing.
    /// </summary>
    public static IHostApplicationBuilder AddLoginTelemetry(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(sp => new LoginConsumerTelemetry(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<IOptions<SqsOptions>>().Value.QueueName));
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var console = (builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new()).Console;
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName: "loginconsumer"))
            .WithMetrics(metrics =>
            {
                // The service's own meter, the .NET runtime's (GC, thread pool, exceptions) and Npgsql's (pool, commands).
                metrics.AddMeter(LoginConsumerTelemetry.Name, "System.Runtime", "Npgsql");
                if (console)
                {
                    metrics.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 1000);
                }
            });
        if (otlp || console)
        {
            otel.WithTracing(tracing =>
            {
                tracing.AddSource(LoginConsumerTelemetry.Name, "MassTransit").AddNpgsql();
                if (console)
                {
                    tracing.AddConsoleExporter();
                }
            });
        }

        if (otlp)
        {
            otel.UseOtlpExporter();
        }

        return builder;
    }

    public static IHostApplicationBuilder AddLoginDatabase(this IHostApplicationBuilder builder, string connectionStringName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionStringName);
        var used = connectionStringName;
        if (string.IsNullOrWhiteSpace(connectionString) && connectionStringName == MigrationConnectionStringName)
        {
            connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
            used = ConnectionStringName;
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new OptionsValidationException(
                $"ConnectionStrings:{ConnectionStringName}",
                typeof(string),
                [$"ConnectionStrings:{ConnectionStringName} is not set (environment variable ConnectionStrings__{ConnectionStringName})."]);
        }

        // A string that does not parse is a setting to fix, named; never shown, as it may hold a password.
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            var keyword = (ex as ArgumentException)?.ParamName;
            throw new Infrastructure.SettingException(
                $"ConnectionStrings:{used} (environment variable ConnectionStrings__{used}) is not a PostgreSQL connection string: "
                + (keyword is { Length: > 0 } ? $"its keyword '{keyword}' is unknown or its value does not fit." : "it does not parse as keyword=value pairs.")
                + " It takes e.g. Host=db;Port=5432;Database=logins;Username=loginconsumer_runtime (the password from PGPASSWORD).");
        }

        // migrate's own check for mapping changes that no migration holds needs the design-time model, which a Native
        // AOT build cannot make (docs/performance.md, "Native AOT"); ModelTests makes the same check at build time.
        builder.Services.TryAddSingleton(TimeProvider.System);
        connectionString = WithoutGssEncryptionUnlessAsked(connectionString);
        builder.Services.AddPooledDbContextFactory<LoginDbContext>(options => options
            .UseNpgsql(connectionString)
            .ConfigureWarnings(warnings => warnings.Ignore(RelationalEventId.PendingModelChangesWarning)));
        return builder;
    }

    /// <summary>
    /// Npgsql tries GSS encryption first unless told otherwise: on every new connection it loads the Kerberos library,
    /// which the runtime image does not have, and logs the failure. The service authenticates with passwords (SCRAM) or
    /// IAM, never Kerberos, so GSS encryption is off unless the connection string names a mode itself. A string that does
    /// not parse is left as it is, for the usual error.
    /// </summary>
    public static string WithoutGssEncryptionUnlessAsked(string connectionString)
    {
        try
        {
            var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
            if (given.Keys.Cast<string>().Any(k => k.Replace(" ", string.Empty, StringComparison.Ordinal).Equals("GssEncryptionMode", StringComparison.OrdinalIgnoreCase)))
            {
                return connectionString;
            }

            return new NpgsqlConnectionStringBuilder(connectionString) { GssEncryptionMode = GssEncryptionMode.Disable }.ConnectionString;
        }
        catch (ArgumentException)
        {
            return connectionString;
        }
    }

    public static IHostApplicationBuilder AddLoginSqs(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SqsOptions>().BindConfiguration(SqsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SqsOptions>, SqsOptionsValidator>();

        // Endpoint, region and credentials come from the SDK's standard chain (AWS_ENDPOINT_URL_SQS, AWS_REGION, …).
        services.AddSingleton<IAmazonSQS>(sp =>
        {
            AwsSdkLogging.Configure(sp.GetRequiredService<ILoggerFactory>());
            return SqsClientFactory.Create();
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<LoopSupervisor>();
        services.AddSingleton<SqsCallPolicy>();
        services.AddSingleton<QueueTopology>();
        services.AddSingleton<SnsSignatureVerifier>();
        return builder;
    }

    public static IHostApplicationBuilder AddMasking(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MaskingOptions>().BindConfiguration(MaskingOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MaskingOptions>, MaskingOptionsRangeValidator>();
        services.AddSingleton<IValidateOptions<MaskingOptions>, MaskingOptionsValidator>();
        services.AddSingleton(sp => KeyRing.Create(
            sp.GetRequiredService<IOptions<MaskingOptions>>().Value,
            sp.GetRequiredService<IHostEnvironment>().IsDevelopment()));
        // Redrive attributes are signed under a sub-key of each masking key, so rotating the ring rotates them too.
        services.AddSingleton(sp => new TransportAttributes(
            sp.GetRequiredService<KeyRing>().Keys.ToDictionary(k => k.Id, k => k.TransportAttributesKey, StringComparer.Ordinal),
            sp.GetRequiredService<KeyRing>().Active.Id,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<MessageIdentity>();
        services.AddSingleton(sp => new Masker(
            sp.GetRequiredService<KeyRing>(),
            sp.GetRequiredService<IOptions<MaskingOptions>>().Value.Algorithm));
        return builder;
    }
}
