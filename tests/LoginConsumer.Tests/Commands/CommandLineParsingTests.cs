using LoginConsumer.Hosting;
using LoginConsumer.Commands;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Commands;

/// <summary>Mistakes on the command line are caught when it is parsed, before any command touches a service.</summary>
public sealed class CommandLineParsingTests
{
    [Theory]
    [InlineData("send-sample --count abc", "--count", "a whole number")]
    [InlineData("send-sample --count -3", "--count", "at least 1")]
    [InlineData("rekey --limit 0", "--limit", "at least 1")]
    [InlineData("rekey --batch-size 100001", "--batch-size", "between 1 and 100000")]
    [InlineData("dlq redrive --max 0", "--max", "at least 1")]
    [InlineData("migrate --wait soon", "--wait", "soon")]
    [InlineData("dlq nothing", "nothing", "")]
    public async Task InvokeAsync_Mistake_ExitsTwoWithOneErrorAndOneHint(string line, string named, string says)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await LoginConsumerCommands.InvokeAsync(line.Split(' '), output, error);

        Assert.Equal(ExitCodes.Usage, code);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("hint: see LoginConsumer ", lines[^1], StringComparison.Ordinal);
        Assert.Contains(named, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(says, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, output.ToString());
    }

    [Fact]
    public async Task InvokeAsync_PurgeWithoutConfirmation_RefusesBeforeTouchingTheQueue()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await LoginConsumerCommands.InvokeAsync(["dlq", "purge"], output, error);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--yes", error.ToString(), StringComparison.Ordinal);
    }
}
