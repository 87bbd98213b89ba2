using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LoginConsumer.Tests.Docs;

/// <summary>
/// The folders of src/LoginConsumer depend on each other without a cycle, read from the real type references: every
/// name in every file is bound by Roslyn's semantic model, so a type reached through a <c>using</c>, an alias or the
/// enclosing namespace counts as much as a fully written one.
/// </summary>
public sealed class FolderCycleTests
{
    [Fact]
    public void Folders_ReferenceEachOtherWithoutACycle()
    {
        var edges = FolderReferences(Path.Combine(DocsCheckTests.RepositoryRoot, "src", "LoginConsumer"));
        var cycle = FindCycle(edges);
        Assert.True(cycle is null, "a cycle between folders: " + (cycle is null ? string.Empty : string.Join(" → ", cycle.Select(c => c.Folder + (c.Because is null ? string.Empty : $" ({c.Because})")))));
    }

    [Fact]
    public void ACycle_PlantedInACopyOfTheSource_IsFound()
    {
        var copy = Path.Combine(Path.GetTempPath(), "lc-cycle-" + Guid.NewGuid().ToString("N"));
        var source = Path.Combine(DocsCheckTests.RepositoryRoot, "src", "LoginConsumer");
        foreach (var file in Directory.GetFiles(source, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(source, f)))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        try
        {
            // Masking uses nothing; a type there that names a Commands type closes Commands → Masking → Commands.
            File.WriteAllText(
                Path.Combine(copy, "Masking", "Planted.cs"),
                "namespace LoginConsumer.Masking;\n\ninternal static class Planted\n{\n    internal static int Code => Commands.SettingErrors.EnvironmentName(\"a:b\").Length;\n}\n");
            var edges = FolderReferences(copy);
            Assert.Equal("Commands", edges["Masking"].Keys.Single());
            var cycle = FindCycle(edges);
            Assert.NotNull(cycle);
            Assert.Equal(cycle[0].Folder, cycle[^1].Folder);
            Assert.Contains(cycle, c => c.Folder == "Masking" && c.Because == "Planted.cs uses SettingErrors");
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private static bool IsBuildOutput(string root, string file) =>
        Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj";

    /// <summary>folder → folders it references, each with one file that does, from the bound symbols of every name.</summary>
    internal static Dictionary<string, Dictionary<string, string>> FolderReferences(string root)
    {
        var files = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(root, f)).ToList();
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), new CSharpParseOptions(LanguageVersion.Preview), path: f)).ToList();
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.Location.Length > 0).Select(a => a.Location))
            .Distinct()
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("folders", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

        var edges = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var tree in trees)
        {
            var from = FolderOf(root, tree.FilePath);
            if (from is null)
            {
                continue;
            }

            var model = compilation.GetSemanticModel(tree);
            foreach (var name in tree.GetRoot().DescendantNodes().OfType<SimpleNameSyntax>())
            {
                var symbol = model.GetSymbolInfo(name).Symbol ?? model.GetSymbolInfo(name).CandidateSymbols.FirstOrDefault();
                var type = symbol switch
                {
                    INamedTypeSymbol named => named,
                    IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => constructor.ContainingType,
                    { ContainingType: { } containing } => containing,
                    _ => null,
                };
                var to = type is null ? null : FolderOfNamespace(type.ContainingNamespace?.ToDisplayString());
                if (to is not null && to != from)
                {
                    var uses = edges.TryGetValue(from, out var existing) ? existing : edges[from] = new(StringComparer.Ordinal);
                    uses.TryAdd(to, $"{Path.GetFileName(tree.FilePath)} uses {type!.Name}");
                }
            }
        }

        return edges;
    }

    private static string? FolderOf(string root, string file)
    {
        var parts = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
        return parts.Length > 1 ? parts[0] : null;
    }

    private static string? FolderOfNamespace(string? ns) =>
        ns is not null && ns.StartsWith("LoginConsumer.", StringComparison.Ordinal) ? ns["LoginConsumer.".Length..].Split('.')[0] : null;

    /// <summary>A cycle among the folders (each with why it uses the next), or null.</summary>
    internal static List<(string Folder, string? Because)>? FindCycle(Dictionary<string, Dictionary<string, string>> edges)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();
        List<(string, string?)>? found = null;

        bool Visit(string folder)
        {
            state[folder] = 1;
            path.Add(folder);
            foreach (var next in edges.GetValueOrDefault(folder)?.Keys.Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>())
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    var loop = path.Skip(path.IndexOf(next)).Append(next).ToList();
                    found = [.. loop.Select((f, i) => (f, i + 1 < loop.Count ? edges[f][loop[i + 1]] : null))];
                    return true;
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next))
                {
                    return true;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[folder] = 2;
            return false;
        }

        foreach (var folder in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(folder) == 0 && Visit(folder))
            {
                return found;
            }
        }

        return null;
    }
}
