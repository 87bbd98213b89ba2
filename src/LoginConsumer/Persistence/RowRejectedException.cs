namespace LoginConsumer.Persistence;

/// <summary>
/// PostgreSQL refused this one row on its own (a CHECK, a trigger, a value the column or the encoding cannot hold):
/// storing it again can never succeed. The message names the SQLSTATE, never a value.
/// </summary>
#pragma warning disable CA1032 // It exists only to carry PostgreSQL's refusal; the standard forms would have none.
public sealed class RowRejectedException(string sqlState, string message, Exception innerException) : Exception(message, innerException)
#pragma warning restore CA1032
{
    public string SqlState { get; } = sqlState;
}
