namespace LoginConsumer.Messaging;

/// <summary>How processing one message ended: its row is committed; it is poison (with the reason); or it failed for now and may succeed later.</summary>
public sealed record ProcessingOutcome
{
    public static readonly ProcessingOutcome Stored = new();

    private ProcessingOutcome()
    {
    }

    public PoisonReason? Poison { get; private init; }

    public Exception? Failure { get; private init; }

    public static ProcessingOutcome Poisoned(PoisonReason reason) => new() { Poison = reason };

    public static ProcessingOutcome Failed(Exception failure) => new() { Failure = failure };
}
