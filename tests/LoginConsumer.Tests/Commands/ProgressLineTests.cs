using LoginConsumer.Commands;
using Microsoft.Extensions.Time.Testing;

namespace LoginConsumer.Tests.Commands;

public sealed class ProgressLineTests
{
    [Fact]
    public void Report_NotATerminal_WritesAPlainLineAtMostEveryFiveSecondsAndOneAtTheEnd()
    {
        var time = new FakeTimeProvider();
        using var output = new StringWriter();
        var progress = new ProgressLine(output, "send-sample", 1000, live: false, time);

        for (var done = 1; done <= 1000; done++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20)); // 20 s in all
            progress.Report(done);
        }

        progress.Complete(1000);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length); // at 0.02 s, 5.02 s, 10.02 s, 15.02 s, then the end
        Assert.StartsWith("send-sample: 1 of 1,000 (0%)", lines[0], StringComparison.Ordinal);
        Assert.Contains("251 of 1,000 (25%), 50/s, 15.0 s left", lines[1], StringComparison.Ordinal);
        Assert.Equal("send-sample: 1,000 of 1,000 (100%), 50/s, done in 20.0 s", lines[^1].TrimEnd());
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void Report_OnATerminal_RewritesOneLineAndEndsIt()
    {
        var time = new FakeTimeProvider();
        using var output = new StringWriter();
        var progress = new ProgressLine(output, "rekey", 10, live: true, time);

        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(5);
        progress.Complete(10);

        var text = output.ToString();
        Assert.StartsWith("\rrekey: 5 of 10 (50%), 5/s, 1.0 s left", text, StringComparison.Ordinal);
        Assert.Equal(1, text.Count(c => c == '\n'));
        Assert.Contains("done in 1.0 s", text, StringComparison.Ordinal);
        Assert.EndsWith(Environment.NewLine, text, StringComparison.Ordinal);
    }
}
