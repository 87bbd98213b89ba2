using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace LoginConsumer.Persistence;

/// <summary>
/// Reads for the operator commands, sent as plain SQL on the context's own connection and transaction. EF's LINQ
/// and SqlQueryRaw compile each query at run time, which a Native AOT build cannot do (docs/performance.md,
/// "Native AOT"); commands sent with ExecuteSqlRaw, as the writer's are, and these reads need no compiling.
/// </summary>
public static class SqlReads
{
    public static async Task<List<T>> ReadAsync<T>(
        this LoginDbContext context, string sql, IReadOnlyList<NpgsqlParameter> parameters, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var command = context.Database.GetDbConnection().CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = sql;
                command.Transaction = context.Database.CurrentTransaction?.GetDbTransaction();
                if (context.Database.GetCommandTimeout() is { } timeout)
                {
                    command.CommandTimeout = timeout;
                }

                foreach (var parameter in parameters)
                {
                    command.Parameters.Add(parameter);
                }

                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var rows = new List<T>();
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        rows.Add(map(reader));
                    }

                    return rows;
                }
            }
        }
        finally
        {
            await context.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The single bigint of a query such as <c>SELECT count(*) …</c>.</summary>
    public static async Task<long> CountAsync(this LoginDbContext context, string sql, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken cancellationToken) =>
        (await context.ReadAsync(sql, parameters, reader => reader.GetInt64(0), cancellationToken).ConfigureAwait(false)).Single();

    public static string? GetNullableString(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
