using System.Text.RegularExpressions;

namespace LoginConsumer.Tests.Docs;

/// <summary>Every log event of the service has an id of its own, so a filter or an alert on an id means one thing.</summary>
public sealed partial class LogEventIdTests
{
    [Fact]
    public void EventIds_InTheServiceSource_AreUnique()
    {
        var source = Path.Combine(DocsCheckTests.RepositoryRoot, "src", "LoginConsumer");
        var ids = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => EventId().Matches(File.ReadAllText(f)).Select(m => (Id: m.Groups[1].Value, File: Path.GetFileName(f))))
            .ToList();

        Assert.NotEmpty(ids);
        var duplicates = ids.GroupBy(i => i.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(i => i.File))}").ToList();
        Assert.True(duplicates.Count == 0, "EventIds used more than once: " + string.Join("; ", duplicates));
    }

    [GeneratedRegex(@"EventId = (\d+)")]
    private static partial Regex EventId();
}
