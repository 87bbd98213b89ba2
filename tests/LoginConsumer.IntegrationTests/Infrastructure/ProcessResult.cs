namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>A finished process: its exit code, stdout and stderr together (Output), and stderr alone (Error).</summary>
public sealed record ProcessResult(int ExitCode, string Output, string Error = "");
