namespace LoginConsumer.Infrastructure;

/// <summary>
/// The one poison exception: the message can never be stored, however often it is tried, and goes to the error queue
/// at once. Thrown by the body inspector, the field validator and the batch writer (a row PostgreSQL refuses on its
/// own); the classifier only unwraps MassTransit's wrappers around it. The message text is the reason and must never
/// contain a value from the body.
/// </summary>
#pragma warning disable CA1032 // Every poison reason has a code; the parameterless and message-only forms would make one up.
public sealed class PoisonMessageException : Exception
#pragma warning restore CA1032
{
    public PoisonMessageException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    public PoisonMessageException(string code, string message, Exception innerException)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>A short stable reason code (e.g. <c>too_long</c>) for counting error-queue messages by reason.</summary>
    public string Code { get; }
}
