namespace LoginConsumer.Sqs;

/// <summary>How hard <see cref="SqsCallPolicy"/> tries one call: attempts, the timeout of each, and the time all of them together may take.</summary>
public readonly record struct SqsCall(int Attempts, TimeSpan Timeout, TimeSpan Budget);
