using Microsoft.Extensions.Hosting;

namespace LoginConsumer.Infrastructure;

/// <summary>
/// How <c>run</c> ends when it cannot go on (a dependency never reached within Startup:Timeout, a refusal, a missing
/// queue): the first failure and its exit code are kept and the host is stopped; once it has shut down, the run
/// command reports that failure as its one <c>error:</c> and <c>hint:</c>, like every other command.
/// </summary>
public sealed class FatalStop(IHostApplicationLifetime lifetime)
{
    private readonly Lock _lock = new();
    private (Exception Failure, int ExitCode)? _first;

    public (Exception Failure, int ExitCode)? First
    {
        get
        {
            lock (_lock)
            {
                return _first;
            }
        }
    }

    public void Stop(Exception failure, int exitCode)
    {
        lock (_lock)
        {
            _first ??= (failure, exitCode);
        }

        Environment.ExitCode = exitCode;
        lifetime.StopApplication();
    }
}
