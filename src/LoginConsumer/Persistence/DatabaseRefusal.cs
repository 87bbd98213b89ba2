using Npgsql;

namespace LoginConsumer.Persistence;

/// <summary>Refusals from PostgreSQL that waiting cannot mend: the credentials are wrong, or the database does not exist.</summary>
public static class DatabaseRefusal
{
    public static bool IsFinal(Exception exception) =>
        exception is PostgresException { SqlState: var state } && (state.StartsWith("28", StringComparison.Ordinal) || state == PostgresErrorCodes.InvalidCatalogName);
}
