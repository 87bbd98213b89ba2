using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LoginConsumer.Bench;

/// <summary>
/// Where a drain's CPU goes, from the runtime itself: one `run --until-empty` of the shipped consumer under
/// dotnet-counters (System.Runtime: CPU, JIT, GC, thread pool), with the JIT's own list of what it compiled at
/// which tier; then, where perf(1) can be used, a second drain under perf record for CPU samples by owner.
/// The figures behind docs/performance.md, "Where the time goes".
/// </summary>
public static partial class ProfileMode
{
    public static async Task<ProfileResult> RunAsync(BenchContext context, int messages, string executable, string workDir)
    {
        var (name, _) = await context.BacklogAsync("profile", messages);
        Directory.CreateDirectory(workDir);
        var countersFile = Path.GetFullPath(Path.Combine(workDir, "counters.csv"));
        var jitFile = Path.GetFullPath(Path.Combine(workDir, "jit.txt"));
        File.Delete(countersFile);
        File.Delete(jitFile);

        // dotnet-counters starts the consumer itself, so it is attached from the first instruction. The consumer inherits
        // the tool's environment; the JIT listing is set through env(1) so that only the consumer's JIT writes it, not the tool's.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] consumerCommand = ["env", "DOTNET_JitStdOutFile=" + jitFile, "DOTNET_JitDisasmSummary=1", Path.GetFullPath(executable), "run", "--until-empty"];
        foreach (var arg in new[] { "dotnet-counters", "collect", "--refresh-interval", "1", "--format", "csv", "--output", countersFile, "--counters", "System.Runtime", "--" }.Concat(consumerCommand))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in ConsumerEnvironment(name))
        {
            start.Environment[key] = value;
        }

        var rowsBefore = await context.ScalarAsync("SELECT count(*) FROM user_logins");
        var clock = Stopwatch.StartNew();
        using (var tool = Process.Start(start)!)
        {
            var output = tool.StandardOutput.ReadToEndAsync();
            var errors = tool.StandardError.ReadToEndAsync();
            await tool.WaitForExitAsync();
            var stored = await context.ScalarAsync("SELECT count(*) FROM user_logins") - rowsBefore;
            if (tool.ExitCode != 0 || stored != messages || !File.Exists(countersFile))
            {
                throw new InvalidOperationException($"dotnet-counters exited {tool.ExitCode}; the consumer stored {stored} of {messages} rows:\n{await output}{await errors}");
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        CpuSampleResult? samples = null;
        if (CpuSamples.Available())
        {
            var (sampledQueue, _) = await context.BacklogAsync("profile", messages);
            try
            {
                samples = await CpuSamples.RecordAsync([Path.GetFullPath(executable), "run", "--until-empty"], ConsumerEnvironment(sampledQueue), workDir);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // perf without permission (perf_event_paranoid) is not a reason to lose the rest of the profile.
                Console.Error.WriteLine("CPU samples skipped: " + ex.Message);
            }
        }

        return new ProfileResult(messages, seconds, SumRates(countersFile), MaxOf(countersFile, "dotnet.thread_pool.thread.count"), JitTiers(jitFile), samples);
    }

    private static Dictionary<string, string> ConsumerEnvironment(string queue) => new()
    {
        ["Sqs__QueueName"] = queue,
        ["Sqs__ErrorQueueName"] = queue + "_error",
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    /// <summary>Rate counters hold one increment per interval; their sum is the total while the tool was attached.</summary>
    private static Dictionary<string, double> SumRates(string csv)
    {
        var totals = new Dictionary<string, double>();
        foreach (var fields in Rows(csv).Where(f => f[3] == "Rate"))
        {
            totals[fields[2]] = totals.GetValueOrDefault(fields[2]) + double.Parse(fields[4], CultureInfo.InvariantCulture);
        }

        return totals;
    }

    private static double MaxOf(string csv, string counterPrefix) =>
        Rows(csv).Where(f => f[2].StartsWith(counterPrefix, StringComparison.Ordinal)).Select(f => double.Parse(f[4], CultureInfo.InvariantCulture)).DefaultIfEmpty().Max();

    // Timestamp,Provider,Counter Name,Counter Type,Mean/Increment; counter names hold no commas.
    private static IEnumerable<string[]> Rows(string csv) =>
        File.ReadLines(csv).Skip(1).Select(line => line.Split(',')).Where(f => f.Length == 5);

    private static Dictionary<string, int> JitTiers(string jitFile) =>
        !File.Exists(jitFile) ? [] : File.ReadLines(jitFile)
            .Select(line => TierPattern().Match(line))
            .Where(m => m.Success)
            .GroupBy(m => m.Groups[1].Value == "Tier-0 switched to FullOpts" ? "FullOpts" : m.Groups[1].Value)
            .ToDictionary(g => g.Key, g => g.Count());

    [GeneratedRegex(@"JIT compiled .* \[(Tier0|Tier1|FullOpts|Tier-0 switched to FullOpts|Instrumented Tier0|Instrumented Tier1|Tier1-OSR|MinOpts)[ ,\]]")]
    private static partial Regex TierPattern();
}

/// <summary>One profiled drain: totals of the runtime's rate counters and the JIT's compiled methods by tier.</summary>
public sealed record ProfileResult(int Messages, double Seconds, IReadOnlyDictionary<string, double> Totals, double MaxThreadPoolThreads, IReadOnlyDictionary<string, int> JitTiers, CpuSampleResult? CpuSamples)
{
    public double Total(string counterPrefix) => Totals.Where(t => t.Key.StartsWith(counterPrefix, StringComparison.Ordinal)).Sum(t => t.Value);

    public double UserCpu => Total("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=user]");

    public double SystemCpu => Total("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=system]");

    public double JitSeconds => Total("dotnet.jit.compilation.time");

    public double AllocatedMb => Total("dotnet.gc.heap.total_allocated") / 1_000_000;

    public double GcPauseSeconds => Total("dotnet.gc.pause.time");

    public double WorkItems => Total("dotnet.thread_pool.work_item.count");

    public double Collections(string generation) => Total($"dotnet.gc.collections ({{collection}} / 1 sec)[gc.heap.generation={generation}]");

    public IEnumerable<string> Lines()
    {
        var cpu = UserCpu + SystemCpu;
        yield return string.Create(CultureInfo.InvariantCulture, $"== profile: one drain of {Messages} messages, defaults, under dotnet-counters (System.Runtime) with DOTNET_JitDisasmSummary");
        yield return string.Create(CultureInfo.InvariantCulture, $"wall {Seconds:F1} s; consumer CPU {cpu:F1} s (user {UserCpu:F1}, system {SystemCpu:F1}) = {cpu * 1_000_000 / Messages:F0} µs per message");
        yield return string.Create(CultureInfo.InvariantCulture, $"JIT: {JitSeconds:F1} s compiling = {100 * JitSeconds / cpu:F0}% of the CPU; methods by tier: {string.Join(", ", JitTiers.OrderByDescending(t => t.Value).Select(t => $"{t.Key} {t.Value}"))}");
        yield return string.Create(CultureInfo.InvariantCulture, $"GC: {AllocatedMb:F0} MB allocated ({AllocatedMb * 1_000_000 / Messages / 1024:F1} KiB per message); collections gen0 {Collections("gen0"):F0}, gen1 {Collections("gen1"):F0}, gen2 {Collections("gen2"):F0}; paused {GcPauseSeconds:F2} s");
        yield return string.Create(CultureInfo.InvariantCulture, $"thread pool: {WorkItems:F0} work items ({WorkItems / Messages:F1} per message), at most {MaxThreadPoolThreads:F0} threads; lock contentions {Total("dotnet.monitor.lock_contentions"):F0}");
        if (CpuSamples is not { } samples)
        {
            yield return "CPU samples by owner: skipped (perf(1) is not installed, or could not record)";
            yield break;
        }

        yield return string.Create(CultureInfo.InvariantCulture, $"CPU samples by owner, a second drain under perf record ({samples.Samples} samples; % of the whole drain / of its second half):");
        foreach (var (owner, share) in samples.Whole.OrderByDescending(s => s.Value))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"  {owner,-70} {share,5:F1}%  {samples.SecondHalf.GetValueOrDefault(owner),5:F1}%");
        }
    }
}
