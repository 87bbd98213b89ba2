using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LoginConsumer.Bench;

/// <summary>
/// CPU samples of one drain, by who owns the code: `perf record -g` of the consumer (JIT-compiled frames named
/// through the runtime's perf map), each sample charged to the nearest owner on its stack, leaf first. The
/// JIT compiler and the GC come before any owner, because their callers are whatever managed code needed them.
/// perf unwinds by frame pointers, so a sample in native code built without them (OpenSSL, some syscalls) keeps
/// only its leaf and is charged by that. Needs perf(1) and permission to use it; without it the profile says so
/// and goes on without this part.
/// </summary>
public static partial class CpuSamples
{
    // Namespace prefixes first, then assemblies, so that the SDK's signing and marshalling show apart from the rest of it.
    private static readonly (string Owner, Func<string, string, bool> Matches)[] Owners =
    [
        ("LoginConsumer: masking", (asm, type) => type.StartsWith("LoginConsumer.Masking", StringComparison.Ordinal)),
        ("AWS SDK: SigV4 signing", (asm, type) => type.StartsWith("Amazon.Runtime.Internal.Auth", StringComparison.Ordinal)),
        ("AWS SDK: JSON (un)marshalling", (asm, type) => type.StartsWith("Amazon.Runtime.Internal.Transform", StringComparison.Ordinal) || type.StartsWith("Amazon.SQS.Model.Internal", StringComparison.Ordinal)),
        ("AWS SDK: the rest of a call", (asm, type) => asm.StartsWith("AWSSDK", StringComparison.Ordinal)),
        ("HTTP client", (asm, type) => asm == "System.Net.Http"),
        ("sockets", (asm, type) => asm == "System.Net.Sockets"),
        ("MassTransit", (asm, type) => asm.StartsWith("MassTransit", StringComparison.Ordinal)),
        ("Npgsql", (asm, type) => asm.StartsWith("Npgsql", StringComparison.Ordinal)),
        ("EF Core", (asm, type) => asm.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)),
        ("DI container", (asm, type) => asm == "Microsoft.Extensions.DependencyInjection"),
        ("telemetry (OpenTelemetry, metrics)", (asm, type) => asm.StartsWith("OpenTelemetry", StringComparison.Ordinal) || asm == "System.Diagnostics.DiagnosticSource"),
        ("logging", (asm, type) => asm.StartsWith("Microsoft.Extensions.Logging", StringComparison.Ordinal)),
        ("ASP.NET Core (health, metrics endpoint)", (asm, type) => asm.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)),
        ("LoginConsumer: the rest", (asm, type) => asm == "LoginConsumer"),
    ];

    public static bool Available() => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "perf")));

    /// <summary>Runs <paramref name="consumerCommand"/> under perf record and returns the share of samples per owner, over the whole run and over its second half.</summary>
    public static async Task<CpuSampleResult> RecordAsync(string[] consumerCommand, IReadOnlyDictionary<string, string> environment, string workDir)
    {
        var data = Path.GetFullPath(Path.Combine(workDir, "perf.data"));
        File.Delete(data);
        var record = new ProcessStartInfo("perf") { RedirectStandardOutput = true, RedirectStandardError = true };
        // The perf map names JIT-compiled code; W^X off keeps that code at the addresses the map gives.
        foreach (var arg in new[] { "record", "-F", "999", "-g", "-o", data, "--", "env", "DOTNET_PerfMapEnabled=1", "DOTNET_EnableWriteXorExecute=0" }.Concat(consumerCommand))
        {
            record.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            record.Environment[key] = value;
        }

        using (var perf = Process.Start(record)!)
        {
            var output = perf.StandardOutput.ReadToEndAsync();
            var errors = perf.StandardError.ReadToEndAsync();
            await perf.WaitForExitAsync();
            if (perf.ExitCode != 0 || !File.Exists(data))
            {
                throw new InvalidOperationException($"perf record exited {perf.ExitCode}:\n{await output}{await errors}");
            }
        }

        var script = new ProcessStartInfo("perf") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "script", "-i", data, "-F", "comm,pid,tid,time,ip,sym,dso" })
        {
            script.ArgumentList.Add(arg);
        }

        using var reader = Process.Start(script)!;
        var scriptErrors = reader.StandardError.ReadToEndAsync();
        var samples = Parse(reader.StandardOutput).ToList();
        await reader.WaitForExitAsync();
        foreach (var pid in samples.Select(s => s.Pid).Distinct())
        {
            File.Delete($"/tmp/perf-{pid}.map");
            File.Delete($"/tmp/perfinfo-{pid}.map");
        }

        if (samples.Count == 0)
        {
            throw new InvalidOperationException("perf script gave no samples: " + await scriptErrors);
        }

        var midpoint = (samples.Min(s => s.Time) + samples.Max(s => s.Time)) / 2;
        var secondHalf = samples.Where(s => s.Time >= midpoint).ToList();
        return new CpuSampleResult(samples.Count, Shares(samples), Shares(secondHalf));
    }

    private static Dictionary<string, double> Shares(List<Sample> samples) =>
        samples.GroupBy(s => s.Owner).ToDictionary(g => g.Key, g => Math.Round(100.0 * g.Count() / samples.Count, 1));

    private static IEnumerable<Sample> Parse(StreamReader output)
    {
        (int Pid, double Time, string Thread)? header = null;
        var frames = new List<(string Symbol, string Dso)>();
        while (output.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                if (header is { } h)
                {
                    yield return new Sample(h.Pid, h.Time, Classify(h.Thread, frames));
                }

                header = null;
                frames.Clear();
            }
            else if (!char.IsWhiteSpace(line[0]) && HeaderPattern().Match(line) is { Success: true } m)
            {
                header = (int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), m.Groups[1].Value);
            }
            else if (FramePattern().Match(line) is { Success: true } f)
            {
                frames.Add((f.Groups[1].Value, f.Groups[2].Value));
            }
        }

        if (header is { } last)
        {
            yield return new Sample(last.Pid, last.Time, Classify(last.Thread, frames));
        }
    }

    /// <summary>Charges one sample (frames leaf first) to an owner.</summary>
    public static string Classify(string thread, IReadOnlyList<(string Symbol, string Dso)> frames)
    {
        if (thread.StartsWith(".NET Tiered Com", StringComparison.Ordinal) || frames.Any(f => f.Dso.EndsWith("libclrjit.so", StringComparison.Ordinal)))
        {
            return "JIT compiler";
        }

        if (frames.Any(f => f.Dso.EndsWith("libcoreclr.so", StringComparison.Ordinal) && (f.Symbol.Contains("gc_heap", StringComparison.Ordinal) || f.Symbol.Contains("GCHeap", StringComparison.Ordinal))))
        {
            return "GC";
        }

        foreach (var (symbol, dso) in frames)
        {
            // JIT-compiled: "... [Assembly] Namespace.Type::Method(...)"; ReadyToRun code is only named by its file.
            var (asm, type) = DeclaringPattern().Match(symbol) is { Success: true } d ? (d.Groups[1].Value, d.Groups[2].Value)
                : dso.EndsWith(".dll", StringComparison.Ordinal) ? (Path.GetFileNameWithoutExtension(dso), "") : ("", "");
            if (asm.Length > 0 && Owners.FirstOrDefault(o => o.Matches(asm, type)).Owner is { } owner)
            {
                return owner;
            }
        }

        var leaf = frames.Count > 0 ? frames[0].Dso : "";
        return leaf switch
        {
            "[kernel.kallsyms]" => "kernel (scheduling, socket calls whose callers were not unwound)",
            _ when leaf.Contains("libcrypto", StringComparison.Ordinal) || leaf.Contains("libssl", StringComparison.Ordinal) => "OpenSSL (SigV4 and masking hashes, MD5 checks; callers not unwound)",
            _ when leaf.EndsWith("libcoreclr.so", StringComparison.Ordinal) => "runtime (other)",
            _ => "framework, thread pool and other",
        };
    }

    private sealed record Sample(int Pid, double Time, string Owner);

    [GeneratedRegex(@"^(.*?)\s+(\d+)/\d+\s+([\d.]+):")]
    private static partial Regex HeaderPattern();

    [GeneratedRegex(@"^\s+[0-9a-f]+ (.*) \(([^()]*)\)$")]
    private static partial Regex FramePattern();

    [GeneratedRegex(@"\[([\w.]+)\] ([^\s:]+)::")]
    private static partial Regex DeclaringPattern();
}

/// <summary>Share of CPU samples (%) per owner, over a whole drain and over its second half (warm).</summary>
public sealed record CpuSampleResult(int Samples, IReadOnlyDictionary<string, double> Whole, IReadOnlyDictionary<string, double> SecondHalf);
