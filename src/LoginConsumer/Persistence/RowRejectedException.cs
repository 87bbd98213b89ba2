namespace LoginConsumer.Persistence;

/// <summary>
/// PostgreSQL refused this one row on its own (a CHECK, a trigger, a value the column or the encoding cannot hold):
/// storing it again can never succeed. The message names the SQLSTATE, never a value.
/// </summary>
public sealed class RowRejectedException : Exception
{
    public RowRejectedException()
    {
        SqlState = string.Empty;
    }

    public RowRejectedException(string message)
        : base(message)
    {
        SqlState = string.Empty;
    }

    public RowRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
        SqlState = string.Empty;
    }

    public RowRejectedException(string sqlState, string message, Exception innerException)
        : base(message, innerException)
    {
        SqlState = sqlState;
    }

    public string SqlState { get; }
}
