using System.Text.Json.Nodes;
using LoginConsumer.Commands;

namespace LoginConsumer.Tests.Commands;

public sealed class DurationTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("2m", 120)]
    [InlineData("1.5m", 90)]
    [InlineData("1h", 3600)]
    [InlineData("7d", 604800)]
    [InlineData("00:02:00", 120)]
    [InlineData("0", 0)]
    public void TryParse_ShortFormsAndDotNetForm_Parse(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("2x")]
    [InlineData("m")]
    [InlineData("two minutes")]
    [InlineData("-00:01:00")]
    public void TryParse_AnythingElse_IsRefused(string text) => Assert.False(Duration.TryParse(text, out _));

    [Fact]
    public void Migrate_WaitOf2m_ParsesAndANonsenseWaitNamesTheFormsAccepted()
    {
        var root = LoginConsumerCommands.Create();
        Assert.Empty(root.Parse(["migrate", "--wait", "2m"]).Errors);
        var refused = root.Parse(["migrate", "--wait", "soon"]);
        Assert.Contains(refused.Errors, e => e.Message.Contains("90s, 2m, 1h, 7d or 00:02:00", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Json_Output_WritesPlusAsPlus()
    {
        using var writer = new StringWriter();
        await OutputFormat.WriteAsync(writer, new JsonObject { ["first_sent"] = "2026-12-07T10:00:00+00:00" });
        Assert.Contains("2026-12-07T10:00:00+00:00", writer.ToString(), StringComparison.Ordinal);
    }
}
