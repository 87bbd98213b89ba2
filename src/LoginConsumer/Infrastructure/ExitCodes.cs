namespace LoginConsumer.Infrastructure;

/// <summary>What the process's exit code tells a script or an orchestrator (the README's table of them).</summary>
public static class ExitCodes
{
    /// <summary>Done: the command did what it was asked.</summary>
    public const int Done = 0;

    /// <summary>A failure while running: some work was not done (the message says which).</summary>
    public const int Failed = 1;

    /// <summary>Usage: an unknown command or option, or an option value that does not parse or is out of range.</summary>
    public const int Usage = 2;

    /// <summary>Configuration: a setting is missing or invalid, or a dependency refused the credentials given.</summary>
    public const int Configuration = 3;

    /// <summary>A dependency (SQS, PostgreSQL) could not be reached, after the retries the command makes.</summary>
    public const int Unreachable = 4;
}
