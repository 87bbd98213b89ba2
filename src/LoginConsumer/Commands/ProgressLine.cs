using System.Globalization;
using LoginConsumer.Operations;

namespace LoginConsumer.Commands;

/// <summary>
/// Progress of a long command: on a terminal one line rewritten in place, with count, rate and time left; otherwise
/// (a log, a pipe) a plain line at most every <see cref="PlainEvery"/>, and one at the end.
/// </summary>
public sealed class ProgressLine(TextWriter output, string label, long total, bool live, TimeProvider time, string unit = "") : IWorkProgress
{
    public static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LiveEvery = TimeSpan.FromMilliseconds(250);

    private readonly long _start = time.GetTimestamp();
    private readonly Lock _gate = new();
    private TimeSpan? _lastShown;

    /// <summary>Whether progress written to <paramref name="output"/> reaches a terminal that can rewrite a line.</summary>
    public static bool IsTerminal(TextWriter output) => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;

    public void Report(long done)
    {
        lock (_gate)
        {
            var elapsed = time.GetElapsedTime(_start);
            if (_lastShown is { } last && elapsed - last < (live ? LiveEvery : PlainEvery))
            {
                return;
            }

            _lastShown = elapsed;
            Write(done, elapsed, final: false);
        }
    }

    public void Complete(long done)
    {
        lock (_gate)
        {
            Write(done, time.GetElapsedTime(_start), final: true);
        }
    }

    private void Write(long done, TimeSpan elapsed, bool final)
    {
        var rate = done / Math.Max(0.001, elapsed.TotalSeconds);
        var percent = total <= 0 ? 100 : Math.Min(100, done * 100 / total);
        var left = !final && rate > 0 && total > done ? string.Create(CultureInfo.InvariantCulture, $", {Duration(TimeSpan.FromSeconds((total - done) / rate))} left") : string.Empty;
        var text = string.Create(CultureInfo.InvariantCulture, $"{label}: {done:N0} of {total:N0}{(unit.Length > 0 ? " " + unit : string.Empty)} ({percent}%), {rate:N0}/s{left}{(final ? string.Create(CultureInfo.InvariantCulture, $", done in {Duration(elapsed)}") : string.Empty)}");
        if (live)
        {
            output.Write("\r" + text.PadRight(79));
            if (final)
            {
                output.WriteLine();
            }
        }
        else
        {
            output.WriteLine(text);
        }
    }

    private static string Duration(TimeSpan span) => span.TotalHours >= 1
        ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : span.TotalMinutes >= 1 ? span.ToString(@"m\:ss", CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:F1} s");
}
