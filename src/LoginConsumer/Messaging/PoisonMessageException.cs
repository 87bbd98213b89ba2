namespace LoginConsumer.Messaging;

/// <summary>
/// The message can never be stored, however often it is tried: it goes to the error queue at once.
/// The message text is the reason and must never contain a value from the body.
/// </summary>
public sealed class PoisonMessageException : Exception
{
    public PoisonMessageException()
    {
        Code = "poison";
    }

    public PoisonMessageException(string message)
        : this("poison", message)
    {
    }

    public PoisonMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "poison";
    }

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
