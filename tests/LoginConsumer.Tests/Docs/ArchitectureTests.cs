using System.Text.RegularExpressions;

namespace LoginConsumer.Tests.Docs;

/// <summary>The folders of src/LoginConsumer use only the folders docs/architecture.md allows them.</summary>
public sealed partial class ArchitectureTests
{
    [Fact]
    public void Folders_UseOnlyWhatTheArchitecturePageAllows()
    {
        var root = DocsCheckTests.RepositoryRoot;
        var allowed = new Dictionary<string, HashSet<string>?>(StringComparer.Ordinal);
        foreach (Match row in FolderRow().Matches(File.ReadAllText(Path.Combine(root, "docs", "architecture.md"))))
        {
            var uses = row.Groups[2].Value.Trim();
            allowed[row.Groups[1].Value] = uses == "all" ? null : [.. Regex.Matches(uses, "`([A-Za-z]+)`").Select(m => m.Groups[1].Value)];
        }

        var source = Path.Combine(root, "src", "LoginConsumer");
        var folders = Directory.GetDirectories(source).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToList();
        Assert.Equal(folders.Order(StringComparer.Ordinal), allowed.Keys.Order(StringComparer.Ordinal));

        var breaches = new List<string>();
        foreach (var (folder, uses) in allowed)
        {
            if (uses is null)
            {
                continue;
            }

            foreach (var file in Directory.GetFiles(Path.Combine(source, folder), "*.cs", SearchOption.AllDirectories))
            {
                var used = UsedFolder().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).Where(folders.Contains).ToHashSet();
                foreach (var other in used.Where(u => u != folder && !uses.Contains(u)))
                {
                    breaches.Add($"{Path.GetRelativePath(source, file)} uses {other}");
                }
            }
        }

        Assert.True(breaches.Count == 0, "beyond docs/architecture.md: " + string.Join("; ", breaches));
    }

    [GeneratedRegex(@"^\| `src/LoginConsumer/([A-Za-z]+)/` \|[^|]*\| ([^|]*) \|", RegexOptions.Multiline)]
    private static partial Regex FolderRow();

    [GeneratedRegex(@"\bLoginConsumer\.([A-Z][A-Za-z]*)\b")]
    private static partial Regex UsedFolder();
}
