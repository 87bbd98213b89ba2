using System.Diagnostics;

namespace LoginConsumer.Bench;

/// <summary>Wall time and CPU of this process, the emulator and PostgreSQL from its start to <see cref="Result"/>.</summary>
public sealed class Measurement
{
    private readonly BenchContext _context;
    private readonly double _cpu0;
    private readonly double _emulator0;
    private readonly double _postgres0;
    private readonly Stopwatch _clock;

    public Measurement(BenchContext context)
    {
        _context = context;
        _cpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        _emulator0 = context.EmulatorCpu();
        _postgres0 = context.PostgresCpu();
        _clock = Stopwatch.StartNew();
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public PipelineResult Result(string name, int messages, string detail)
    {
        var seconds = _clock.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - _cpu0;
        return new PipelineResult(
            name,
            messages,
            seconds,
            cpu * 1000 / messages,
            (_context.EmulatorCpu() - _emulator0) * 1000 / messages,
            (_context.PostgresCpu() - _postgres0) * 1000 / messages,
            0,
            detail);
    }
}
