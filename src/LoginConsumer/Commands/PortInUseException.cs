namespace LoginConsumer.Commands;

/// <summary>The HTTP endpoint could not listen: its address is taken. Exits with <see cref="Infrastructure.ExitCodes.Configuration"/>.</summary>
#pragma warning disable CA1032 // Always names the address; the standard forms would not.
public sealed class PortInUseException(string message, Exception innerException) : Exception(message, innerException)
#pragma warning restore CA1032
{
}
