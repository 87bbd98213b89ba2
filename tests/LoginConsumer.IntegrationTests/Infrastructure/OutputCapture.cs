using System.Diagnostics;
using System.Text;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>Collects a process's standard output as it comes, so a test can wait for a line instead of sleeping.</summary>
public sealed class OutputCapture
{
    private readonly StringBuilder _text = new();
    private readonly Task _reading;

    public OutputCapture(Process process)
    {
        _reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_text)
                {
                    _text.AppendLine(line);
                }
            }
        });
    }

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public Task WaitForAsync(string fragment, TimeSpan timeout) =>
        Poll.UntilAsync(() => Task.FromResult(Text.Contains(fragment, StringComparison.Ordinal)), timeout);

    public async Task<string> AllAsync()
    {
        await _reading;
        return Text;
    }
}
