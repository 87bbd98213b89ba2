namespace LoginConsumer.Infrastructure;

/// <summary>A setting that is there but cannot be used (e.g. a connection string that does not parse); exits with <see cref="ExitCodes.Configuration"/>.</summary>
#pragma warning disable CA1032 // Always names the setting; the standard forms would not.
public sealed class SettingException(string message) : Exception(message)
#pragma warning restore CA1032
{
}
