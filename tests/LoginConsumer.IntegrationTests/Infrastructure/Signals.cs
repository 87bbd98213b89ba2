using System.Diagnostics;

namespace LoginConsumer.IntegrationTests.Infrastructure;

public static class Signals
{
    /// <summary>SIGTERM, as Kubernetes and docker stop send it (Process.Kill sends SIGKILL).</summary>
    public static async Task TerminateAsync(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }
}
