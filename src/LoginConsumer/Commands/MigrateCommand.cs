using System.CommandLine;
using LoginConsumer.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoginConsumer.Commands;

/// <summary>Applies the EF Core migrations, as the schema owner (ConnectionStrings:LoginDbMigrations, else LoginDb). Production runs this as a Job, never at consumer start-up.</summary>
public static partial class MigrateCommand
{
    public static Command Create()
    {
        var command = new Command("migrate", "Apply the database migrations and exit.");
        command.SetAction((_, cancellationToken) => ExecuteAsync(cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(CancellationToken cancellationToken)
    {
        var builder = LoginConsumerHost.CreateBuilder();
        builder.AddLoginDatabase(LoginConsumerServiceCollectionExtensions.MigrationConnectionStringName);
        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(nameof(MigrateCommand));
        var factory = host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>();
        var context = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        await using (context.ConfigureAwait(false))
        {
            var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
            await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            LogMigrated(logger, pending.Count, pending.Count == 0 ? "none" : string.Join(", ", pending));
        }

        return 0;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Applied {Count} migrations: {Migrations}")]
    private static partial void LogMigrated(ILogger logger, int count, string migrations);
}
