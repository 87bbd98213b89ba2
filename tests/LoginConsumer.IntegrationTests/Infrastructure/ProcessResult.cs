namespace LoginConsumer.IntegrationTests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string Output);
