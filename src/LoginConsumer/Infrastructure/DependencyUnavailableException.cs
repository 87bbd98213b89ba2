namespace LoginConsumer.Infrastructure;

/// <summary>A dependency did not answer within the time a command waits for it; the process exits with <see cref="ExitCodes.Unreachable"/>.</summary>
#pragma warning disable CA1032 // Always names the dependency and the last failure; the standard forms would not.
public sealed class DependencyUnavailableException(string message, Exception innerException) : Exception(message, innerException)
#pragma warning restore CA1032
{
}
