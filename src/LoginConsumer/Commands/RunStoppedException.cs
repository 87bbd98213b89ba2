namespace LoginConsumer.Commands;

/// <summary><c>run</c> stopped itself because it could not go on (<see cref="Infrastructure.FatalStop"/>): what stopped it, and the exit code it chose.</summary>
#pragma warning disable CA1032 // Always carries the failure and its exit code.
public sealed class RunStoppedException(int exitCode, Exception innerException) : Exception(innerException.Message, innerException)
#pragma warning restore CA1032
{
    public int ExitCode { get; } = exitCode;
}
