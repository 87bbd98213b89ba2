namespace LoginConsumer.Sqs;

/// <summary>Why a message goes to the error queue: a stable code, a sentence with no value from the body, and the exception type that said so.</summary>
public sealed record DeadLetterReason(string Code, string Message, string ExceptionType);
