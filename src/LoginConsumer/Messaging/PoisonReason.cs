namespace LoginConsumer.Messaging;

/// <summary>Why a message can never be processed: a stable code, a value-free sentence, and the exception type that said so.</summary>
public sealed record PoisonReason(string Code, string Message, string ExceptionType);
