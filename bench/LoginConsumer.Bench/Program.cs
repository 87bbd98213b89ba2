using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Running;
using LoginConsumer.Bench;

// bench.sh drives this: pipelines --messages N [--consumer-receivers 2,8] --consumer EXE --state DIR | profile --messages N --consumer EXE --state DIR | bare --messages N --receivers 4,16 --state DIR | naive --messages N [--naive-seconds S] --state DIR | running --messages N [--warm-up-messages W] --consumer EXE --state DIR | consumer --messages N --consumer EXE --state DIR | insert [--rows N] [--step S] [--writers W] --state DIR | lag --rate R --seconds S [--warmup W] --consumer EXE --state DIR | micro
var mode = args.FirstOrDefault() ?? "pipelines";
string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
int IntArg(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var resultsPath = Arg("--results", "bench-results.json");

if (mode == "micro")
{
    // --filter '*' runs them all; without a filter BenchmarkDotNet asks which to run.
    BenchmarkSwitcher.FromTypes([typeof(ParseValidateMaskBenchmark), typeof(DispatchBenchmark), typeof(SqsCallBenchmark)]).Run([.. args.Skip(1)]);
    return 0;
}

using var context = new BenchContext(Arg("--state", ".local/bench"));
var consumer = Arg("--consumer", ".local/bench-publish/LoginConsumer");
var results = File.Exists(resultsPath) ? JsonNode.Parse(File.ReadAllText(resultsPath))!.AsObject() : [];

if (mode == "pipelines")
{
    var messages = IntArg("--messages", 50_000);
    await context.ExecuteAsync("TRUNCATE user_logins");
    Console.WriteLine($"== {messages} messages per pipeline on {Environment.ProcessorCount} cores");

    var bare = new List<PipelineResult>();
    foreach (var receivers in new[] { 1, 4, 8, 16 })
    {
        bare.Add(await BarePipeline.RunAsync(context, messages, receivers));
        Console.WriteLine(bare[^1]);
    }

    var bestBare = bare.MaxBy(r => r.MessagesPerSecond)!;
    var naiveWindows = await NaivePipeline.RunAsync(context, messages, TimeSpan.FromSeconds(IntArg("--naive-seconds", 20)));
    foreach (var window in naiveWindows)
    {
        Console.WriteLine(window);
    }

    var naive = naiveWindows.MaxBy(r => r.MessagesPerSecond)!;
    await context.ExecuteAsync("TRUNCATE user_logins");
    var shipped = await ConsumerPipeline.RunAsync(context, messages, consumer);
    Console.WriteLine(shipped);

    // The issue compares each side at its best receiver count: the shipped defaults, and the same with other Sqs:Receivers.
    var otherReceivers = Arg("--consumer-receivers", "2,8").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToList();
    var consumers = new List<PipelineResult> { shipped };
    foreach (var receivers in otherReceivers)
    {
        await context.ExecuteAsync("TRUNCATE user_logins");
        consumers.Add(await ConsumerPipeline.RunAsync(context, messages, consumer, receivers));
        Console.WriteLine(consumers[^1]);
    }

    // A running consumer meeting the same backlog, measured as the bare loop is: in a process already warm.
    var warmUpMessages = IntArg("--warm-up-messages", 10_000);
    var runs = new List<PipelineResult>();
    foreach (var receivers in otherReceivers.Select(r => (int?)r).Prepend(null))
    {
        await context.ExecuteAsync("TRUNCATE user_logins");
        runs.Add(await ConsumerPipeline.RunRunningAsync(context, messages, warmUpMessages, consumer, receivers));
        Console.WriteLine(runs[^1]);
    }

    var running = runs.MaxBy(r => r.MessagesPerSecond)!;
    var best = consumers.MaxBy(r => r.MessagesPerSecond)!;
    var vsBare = best.MessagesPerSecond / bestBare.MessagesPerSecond;
    var vsNaive = best.MessagesPerSecond / naive.MessagesPerSecond;
    var defaultVsBare = shipped.MessagesPerSecond / bestBare.MessagesPerSecond;
    var warmVsBare = best.WarmMessagesPerSecond / bestBare.MessagesPerSecond;
    var windowVsBare = best.WindowMessagesPerSecond / bestBare.MessagesPerSecond;
    var runningVsBare = running.MessagesPerSecond / bestBare.MessagesPerSecond;
    var runningVsNaive = running.MessagesPerSecond / naive.MessagesPerSecond;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"consumer (best, {best.Name}) / bare (best, {bestBare.Detail}) = {vsBare:F2}   consumer / naive = {vsNaive:F1}   consumer defaults / bare = {defaultVsBare:F2}   first-to-last commit / bare = {windowVsBare:F2}   warm / bare = {warmVsBare:F2}"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"running consumer (best, {running.Name}) / bare = {runningVsBare:F2}   running consumer / naive = {runningVsNaive:F1}   running defaults / bare = {runs[0].MessagesPerSecond / bestBare.MessagesPerSecond:F2}"));

    results["messages"] = messages;
    results["cores"] = Environment.ProcessorCount;
    results["bare_msgs_per_s"] = Math.Round(bestBare.MessagesPerSecond);
    results["bare_best_receivers"] = bestBare.Detail;
    results["naive_msgs_per_s"] = Math.Round(naive.MessagesPerSecond, 1);
    results["naive_windows_msgs_per_s"] = new JsonArray([.. naiveWindows.Select(r => JsonValue.Create(Math.Round(r.MessagesPerSecond, 1)))]);
    results["consumer_msgs_per_s"] = Math.Round(best.MessagesPerSecond);
    results["consumer_best_run"] = best.Name;
    results["consumer_default_msgs_per_s"] = Math.Round(shipped.MessagesPerSecond);
    results["consumer_peak_rss_mb"] = Math.Round(consumers.Concat(runs).Max(r => r.PeakRssMb), 1);
    results["ratio_vs_bare"] = Math.Round(vsBare, 3);
    results["ratio_vs_naive"] = Math.Round(vsNaive, 1);
    results["ratio_default_vs_bare"] = Math.Round(defaultVsBare, 3);
    results["consumer_warm_msgs_per_s"] = Math.Round(best.WarmMessagesPerSecond);
    results["ratio_warm_vs_bare"] = Math.Round(warmVsBare, 3);
    results["consumer_window_msgs_per_s"] = Math.Round(best.WindowMessagesPerSecond);
    results["ratio_window_vs_bare"] = Math.Round(windowVsBare, 3);
    results["consumer_running_msgs_per_s"] = Math.Round(running.MessagesPerSecond);
    results["consumer_running_best_run"] = running.Name;
    results["consumer_running_default_msgs_per_s"] = Math.Round(runs[0].MessagesPerSecond);
    results["consumer_running_warm_up_messages"] = warmUpMessages;
    results["consumer_running_peak_rss_mb"] = Math.Round(runs.Max(r => r.PeakRssMb), 1);
    results["ratio_running_vs_bare"] = Math.Round(runningVsBare, 3);
    results["ratio_running_vs_naive"] = Math.Round(runningVsNaive, 1);
    results["cpu_s_per_1000"] = JsonSerializer.SerializeToNode(new[] { bestBare }.Concat(naiveWindows).Concat(consumers).Concat(runs).ToDictionary(
        r => r.Name, r => new { consumer = Math.Round(r.ConsumerCpuPer1000, 4), emulator = Math.Round(r.EmulatorCpuPer1000, 4), postgres = Math.Round(r.PostgresCpuPer1000, 4) }));
}
else if (mode == "lag")
{
    var rate = IntArg("--rate", 1000);
    var seconds = IntArg("--seconds", 60);
    var warmup = IntArg("--warmup", 10);
    if (rate < 10 || seconds < 1 || warmup < 0)
    {
        Console.Error.WriteLine("lag needs --rate of at least 10 (it sends batches of 10), --seconds of at least 1 and --warmup of 0 or more");
        return 2;
    }

    var lag = await LagMode.RunAsync(context, consumer, rate, seconds, warmup);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== steady state at {rate} msg/s for {seconds} s after {warmup} s of warm-up: {lag.Count} rows; end-to-end lag (commit − sent) p50 {lag.P50:F0} ms, p95 {lag.P95:F0} ms, p99 {lag.P99:F0} ms"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   CPU s/1000 msgs: consumer {lag.ConsumerCpuPer1000:F3}, emulator {lag.EmulatorCpuPer1000:F3}, postgres {lag.PostgresCpuPer1000:F3} (consumer {lag.ConsumerCpuPer1000 * rate / 1000:F2} of a core); peak RSS {lag.ConsumerPeakRssMb:F0} MB; window {lag.WindowSeconds:F1} s"));
    results["lag_warmup_s"] = warmup;
    results["lag_rate_msgs_per_s"] = rate;
    results["lag_p50_ms"] = lag.P50;
    results["lag_p95_ms"] = lag.P95;
    results["lag_p99_ms"] = lag.P99;
    results["lag_cpu_s_per_1000"] = JsonSerializer.SerializeToNode(new
    {
        consumer = Math.Round(lag.ConsumerCpuPer1000, 4),
        emulator = Math.Round(lag.EmulatorCpuPer1000, 4),
        postgres = Math.Round(lag.PostgresCpuPer1000, 4),
    });
    results["lag_consumer_peak_rss_mb"] = Math.Round(lag.ConsumerPeakRssMb, 1);
}
else if (mode == "profile")
{
    var profile = await ProfileMode.RunAsync(context, IntArg("--messages", 50_000), consumer, Arg("--work", ".local/profile"));
    foreach (var line in profile.Lines())
    {
        Console.WriteLine(line);
    }

    results["profile"] = new JsonObject
    {
        ["messages"] = profile.Messages,
        ["seconds"] = Math.Round(profile.Seconds, 1),
        ["cpu_user_s"] = Math.Round(profile.UserCpu, 2),
        ["cpu_system_s"] = Math.Round(profile.SystemCpu, 2),
        ["jit_s"] = Math.Round(profile.JitSeconds, 2),
        ["jit_methods_by_tier"] = JsonSerializer.SerializeToNode(profile.JitTiers),
        ["allocated_mb"] = Math.Round(profile.AllocatedMb),
        ["gc_pause_s"] = Math.Round(profile.GcPauseSeconds, 2),
        ["thread_pool_work_items"] = Math.Round(profile.WorkItems),
        ["cpu_samples_pct"] = profile.CpuSamples is { } samples
            ? JsonSerializer.SerializeToNode(samples.Whole.ToDictionary(s => s.Key, s => new { whole = s.Value, second_half = samples.SecondHalf.GetValueOrDefault(s.Key) }))
            : null,
    };
}
else if (mode == "bare")
{
    // The emulator's ceiling alone, for one backlog size and receiver count; prints only, writes no results.
    var messages = IntArg("--messages", 50_000);
    foreach (var receivers in Arg("--receivers", "16").Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)))
    {
        Console.WriteLine(await BarePipeline.RunAsync(context, messages, receivers));
    }

    return 0;
}
else if (mode == "naive")
{
    // The naive pipeline alone, time-boxed as in pipelines; prints only, writes no results.
    foreach (var window in await NaivePipeline.RunAsync(context, IntArg("--messages", 50_000), TimeSpan.FromSeconds(IntArg("--naive-seconds", 20))))
    {
        Console.WriteLine(window);
    }

    return 0;
}
else if (mode == "consumer")
{
    // One cold drain of the given executable alone, for comparing two builds in alternation; prints only.
    await context.ExecuteAsync("TRUNCATE user_logins");
    Console.WriteLine(await ConsumerPipeline.RunAsync(context, IntArg("--messages", 50_000), consumer));
    return 0;
}
else if (mode == "insert")
{
    // Where one PostgreSQL stops: the shipped batched INSERT alone, into a growing table; prints and writes results.
    var insert = await InsertMode.RunAsync(context, IntArg("--rows", 3_000_000), IntArg("--step", 500_000), IntArg("--writers", 2));
    foreach (var line in insert.Lines())
    {
        Console.WriteLine(line);
    }

    results["insert"] = insert.ToJson();
}
else if (mode == "running")
{
    // The running consumer alone; prints only, writes no results.
    Console.WriteLine(await ConsumerPipeline.RunRunningAsync(context, IntArg("--messages", 50_000), IntArg("--warm-up-messages", 10_000), consumer));
    return 0;
}
else
{
    Console.Error.WriteLine($"unknown mode {mode}: pipelines | lag | profile | bare | naive | running | consumer | insert | micro");
    return 2;
}

File.WriteAllText(resultsPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"results written to {resultsPath}");
return 0;
