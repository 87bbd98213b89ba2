using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using LoginConsumer.Hosting;
using LoginConsumer.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>
/// Applies the EF Core migrations, as the schema owner (ConnectionStrings:LoginDbMigrations, else LoginDb).
/// Production runs this as a Job, never at consumer start-up. With Migrations:RuntimeRole set it then grants
/// that role what the consumer needs and nothing more (see deploy/sql/roles.sql).
/// </summary>
public static partial class MigrateCommand
{
    public const string RuntimeRoleSetting = "Migrations:RuntimeRole";
    public const string ReadOnlyRoleSetting = "Migrations:ReadOnlyRole";

    public static Command Create()
    {
        var wait = new Option<TimeSpan>("--wait")
        {
            Description = "How long to wait for PostgreSQL to accept connections before giving up (exit 4), e.g. 2m, 90s or 00:02:00.",
            DefaultValueFactory = _ => TimeSpan.Zero,
            CustomParser = Duration.Parse,
        };
        var command = new Command("migrate", "Apply the database migrations and exit, as the schema owner (ConnectionStrings__LoginDbMigrations, else ConnectionStrings__LoginDb).\nExample: LoginConsumer migrate --wait 2m") { wait };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(parse.GetValue(wait), cancellationToken));
        return command;
    }

    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "EF Core marks migrations as needing run-time code generation. The native build keeps this assembly whole (TrimMode partial), so its migrations are found and created; ContainerTests runs migrate and probe ready from the published executable.")]
    public static async Task<int> ExecuteAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var builder = LoginConsumerHost.CreateBuilder();

        // On a database never migrated, EF first reads a history table that is not there yet and logs that failed
        // command at Error before creating it; while waiting, each refused connection too. What does fail ends the
        // command with its own one-line error, and the wait logs its own line per attempt.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Connection", LogLevel.None);
        builder.AddLoginDatabase(LoginConsumerServiceCollectionExtensions.MigrationConnectionStringName);
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(MigrateCommand));
        var factory = host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>();
        var context = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            await WaitForDatabaseAsync(context, wait, logger, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
            await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            LogMigrated(logger, pending.Count, pending.Count == 0 ? "none" : string.Join(", ", pending));

            // The runtime role: exactly INSERT, and SELECT on the conflict column only (ON CONFLICT (message_id) reads it);
            // reading the migrations history lets /health/ready tell whether this build's migrations are applied.
            if (builder.Configuration[RuntimeRoleSetting] is { Length: > 0 } role)
            {
                await GrantOnlyAsync(
                    context, RuntimeRoleSetting, role,
                    $"GRANT INSERT ON {UserLoginConfiguration.TableName} TO \"{role}\"; GRANT SELECT (message_id) ON {UserLoginConfiguration.TableName} TO \"{role}\"; GRANT SELECT ON \"__EFMigrationsHistory\" TO \"{role}\";",
                    cancellationToken).ConfigureAwait(false);
                LogGranted(logger, role, UserLoginConfiguration.TableName);
            }

            // The read-only role: what `summary` reads, and nothing else.
            if (builder.Configuration[ReadOnlyRoleSetting] is { Length: > 0 } reader)
            {
                await GrantOnlyAsync(
                    context, ReadOnlyRoleSetting, reader,
                    $"GRANT SELECT ON {UserLoginConfiguration.TableName} TO \"{reader}\";",
                    cancellationToken).ConfigureAwait(false);
                LogGrantedReadOnly(logger, reader, UserLoginConfiguration.TableName);
            }
        }

        return ExitCodes.Done;
    }

    /// <summary>
    /// Revokes whatever <paramref name="role"/> (or PUBLIC) was granted before, on the table or any of its columns and on the
    /// migrations history, then runs <paramref name="grants"/>; all in one transaction, so that a used database ends in
    /// the same state as a new one. A role name cannot be a bind parameter: it is matched against a plain identifier.
    /// </summary>
    private static async Task GrantOnlyAsync(LoginDbContext context, string setting, string role, string grants, CancellationToken cancellationToken)
    {
        if (!RoleName().IsMatch(role))
        {
            throw new SettingException($"{setting} (environment variable {SettingErrors.EnvironmentName(setting)}) must be a plain PostgreSQL role name (letters, digits, '_').");
        }

        var table = UserLoginConfiguration.TableName;
#pragma warning disable EF1003
        await context.Database.ExecuteSqlRawAsync(
            "BEGIN; "
            + "REVOKE ALL ON " + table + " FROM \"" + role + "\", PUBLIC; "
            + "REVOKE ALL ON \"__EFMigrationsHistory\" FROM \"" + role + "\", PUBLIC; "
            + "DO $$ DECLARE c name; BEGIN "
            + "FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = '" + table + "'::regclass AND attnum > 0 AND NOT attisdropped LOOP "
            + "EXECUTE format('REVOKE ALL (%I) ON " + table + " FROM %I, PUBLIC', c, '" + role + "'); END LOOP; END $$; "
            + grants + " "
            + "COMMIT;",
            cancellationToken).ConfigureAwait(false);
#pragma warning restore EF1003
    }

    /// <summary>
    /// Waits for PostgreSQL to accept a connection for <paramref name="wait"/>; gives up with
    /// <see cref="DependencyUnavailableException"/>, which exits with <see cref="ExitCodes.Unreachable"/>.
    /// </summary>
    private static async Task WaitForDatabaseAsync(LoginDbContext context, TimeSpan wait, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        var attempts = 0;
        try
        {
            await DatabaseConnectionWait.WaitAsync(
                context, wait, TimeSpan.FromSeconds(30), time, (attempt, _, pause) => LogWaiting(logger, attempts = attempt, pause), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !DatabaseRefusal.IsFinal(ex))
        {
            throw new DependencyUnavailableException(
                wait == TimeSpan.Zero
                    ? "PostgreSQL did not accept a connection (migrate --wait <duration> waits for it)."
                    : $"PostgreSQL did not accept a connection within {wait} ({attempts + 1} attempts).",
                ex);
        }
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "PostgreSQL does not accept connections yet (attempt {Attempt}); trying again in {Pause}")]
    private static partial void LogWaiting(ILogger logger, int attempt, TimeSpan pause);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Revoked every other privilege of {Role} on {Table}, then granted it SELECT (read-only, for summary)")]
    private static partial void LogGrantedReadOnly(ILogger logger, string role, string table);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Revoked every other privilege of {Role} on {Table}, then granted it INSERT, SELECT on message_id, and SELECT on the migrations history")]
    private static partial void LogGranted(ILogger logger, string role, string table);

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex RoleName();

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Applied {Count} migrations: {Migrations}")]
    private static partial void LogMigrated(ILogger logger, int count, string migrations);
}
