using System.Globalization;

namespace LoginConsumer.Bench;

/// <summary>CPU seconds of a process (and, for PostgreSQL, of its backends), read from /proc.</summary>
public static class ProcessCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>utime + stime, plus the CPU of children it has waited for (exited backends).</summary>
    public static double Seconds(int pid)
    {
        var fields = Stat(pid);
        return fields is null ? 0 : (Field(fields, 14) + Field(fields, 15) + Field(fields, 16) + Field(fields, 17)) / TicksPerSecond;
    }

    /// <summary>A postmaster and all its live children (backends, writers).</summary>
    public static double TreeSeconds(int pid)
    {
        var total = Seconds(pid);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var child) && Stat(child) is { } fields && (int)Field(fields, 4) == pid)
            {
                total += Seconds(child);
            }
        }

        return total;
    }

    /// <summary>Peak resident set size (VmHWM) in MB; 0 once the process is gone.</summary>
    public static double PeakRssMb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            return ["pid", "comm", .. text[(text.LastIndexOf(')') + 2)..].Split(' ')];
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static double Field(string[] fields, int oneBased) => double.Parse(fields[oneBased - 1], CultureInfo.InvariantCulture);
}
