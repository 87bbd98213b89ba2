namespace LoginConsumer.Sqs;

/// <summary>What to do with a processed message: delete it, dead-letter it with a reason, or release it to be tried again later.</summary>
public sealed record MessageOutcome
{
    public static readonly MessageOutcome Complete = new();

    public static readonly MessageOutcome Release = new() { IsRelease = true };

    private MessageOutcome()
    {
    }

    /// <summary>Set when the message can never be processed.</summary>
    public DeadLetterReason? DeadLetter { get; private init; }

    public bool IsRelease { get; private init; }

    public static MessageOutcome DeadLettered(DeadLetterReason reason) => new() { DeadLetter = reason };
}
