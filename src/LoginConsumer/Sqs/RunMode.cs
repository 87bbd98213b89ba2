namespace LoginConsumer.Sqs;

/// <summary>How <c>run</c> was started: serve forever, or drain the queue and exit (batch jobs, tests, the demo).</summary>
public sealed record RunMode(bool UntilEmpty);
