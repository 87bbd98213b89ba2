using System.CommandLine;
using System.Reflection;
using System.Text.RegularExpressions;
using LoginConsumer.Commands;
using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using LoginConsumer.Persistence;
using LoginConsumer.Sqs;
using LoginConsumer.Telemetry;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Docs;

/// <summary>
/// The README and docs/ against the code: every command, option and setting they name exists, and every setting of
/// the option classes is documented in docs/configuration.md.
/// </summary>
public sealed partial class DocsCheckTests
{
    private static readonly Type[] OptionClasses = [typeof(SqsOptions), typeof(ConsumerOptions), typeof(BatchWriterOptions), typeof(MaskingOptions), typeof(TelemetryOptions), typeof(LoginConsumer.Infrastructure.StartupOptions)];

    // Settings that belong to .NET or to the wiring rather than to an option class.
    private static readonly HashSet<string> HostSettings = new(StringComparer.Ordinal)
    {
        "ConnectionStrings:LoginDb", "ConnectionStrings:LoginDbMigrations", "HostOptions:ShutdownTimeout", "HostOptions:ServicesStartConcurrently",
        "Logging:Console:FormatterName", "Logging:LogLevel:LoginConsumer", "Logging:LogLevel:Default", "Masking:Keys",
        MigrateCommand.RuntimeRoleSetting,
        MigrateCommand.ReadOnlyRoleSetting,
    };

    // Files and folders that may send a reader to a test class by name.
    private static readonly string[] NamingFiles = ["README.md", "Dockerfile", "docker-compose.yml"];

    private static readonly string[] NamingFolders = ["docs", "deploy", "scripts", Path.Combine("src", "LoginConsumer")];

    internal static readonly string RepositoryRoot = FindRoot();

    private static readonly string Root = RepositoryRoot;

    public static TheoryData<string> Pages() => [.. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(p => Path.GetRelativePath(Root, p)).Prepend("README.md")];

    [Theory]
    [MemberData(nameof(Pages))]
    public void Page_NamesOnlyCommandsAndOptionsThatExist(string page)
    {
        var text = File.ReadAllText(Path.Combine(Root, page));
        var root = LoginConsumerCommands.Create();
        var missing = new List<string>();

        // "LoginConsumer dlq peek", and the command column of a table: "| `dlq peek [-n N] [--json]` |".
        var mentions = LoginConsumerMention().Matches(text).Select(m => m.Groups[1].Value)
            .Concat(CommandCell().Matches(text).Select(m => m.Groups[1].Value));
        foreach (var mention in mentions)
        {
            var words = mention.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || !IsCommandWord(words[0]))
            {
                continue;
            }

            Command command = root;
            foreach (var word in words.TakeWhile(IsCommandWord))
            {
                if (command.Subcommands.FirstOrDefault(c => c.Name == word) is { } sub)
                {
                    command = sub;
                }
                else if (command == root)
                {
                    missing.Add($"command '{word}' in \"{mention}\"");
                    break;
                }
                else
                {
                    break; // an argument value, such as probe's "live"
                }
            }

            foreach (var option in OptionToken().Matches(mention).Select(m => m.Value))
            {
                if (!command.Options.Any(o => o.Name == option || o.Aliases.Contains(option)) && option is not ("--help" or "-h"))
                {
                    missing.Add($"option '{option}' of '{command.Name}' in \"{mention}\"");
                }
            }
        }

        Assert.True(missing.Count == 0, $"{page} names what does not exist: {string.Join("; ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Page_NamesOnlyScriptOptionsThatExist(string page)
    {
        var text = File.ReadAllText(Path.Combine(Root, page));
        var missing = new List<string>();
        foreach (Match use in ScriptUse().Matches(text))
        {
            var script = use.Groups[1].Value;
            var accepted = ScriptOptions(script);
            foreach (Match option in Regex.Matches(use.Groups[2].Value, @"(?<![\w-])--[a-z][a-z-]*"))
            {
                if (!accepted.Contains(option.Value))
                {
                    missing.Add($"{script} {option.Value}");
                }
            }
        }

        Assert.True(missing.Count == 0, $"{page} names script options that do not exist: {string.Join("; ", missing.Distinct())}");
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Page_NamesOnlySettingsThatExist(string page)
    {
        var text = File.ReadAllText(Path.Combine(Root, page));
        var known = Settings().ToHashSet(StringComparer.Ordinal);
        known.UnionWith(HostSettings);
        var sections = OptionClasses.Select(SectionOf).Concat(["ConnectionStrings", "HostOptions", "Logging", "Migrations"]).ToList();
        var missing = new List<string>();
        foreach (Match setting in SettingMention().Matches(text))
        {
            var name = setting.Value.Replace("__", ":", StringComparison.Ordinal).TrimEnd(':');
            if (!sections.Contains(name.Split(':')[0]))
            {
                continue;
            }

            // Masking:Keys:<id> names one key of the Keys dictionary.
            if (!known.Contains(name) && !(name.StartsWith("Masking:Keys:", StringComparison.Ordinal)))
            {
                missing.Add(setting.Value);
            }
        }

        Assert.True(missing.Count == 0, $"{page} names settings that do not exist: {string.Join("; ", missing.Distinct())}");
    }

    [Fact]
    public void ConfigurationPage_DocumentsEverySettingOfTheOptionClasses()
    {
        var text = File.ReadAllText(Path.Combine(Root, "docs", "configuration.md"));
        var undocumented = Settings().Where(s => !text.Contains(s, StringComparison.Ordinal) && !text.Contains(s.Replace(":", "__", StringComparison.Ordinal), StringComparison.Ordinal)).ToList();
        Assert.True(undocumented.Count == 0, $"docs/configuration.md does not document: {string.Join(", ", undocumented)}");
    }

    [Fact]
    public void EveryTestClassNamedOutsideTheTests_Exists()
    {
        // The README, docs/, the deploy files, the scripts and the service's comments send readers to tests by name.
        var places = NamingFiles.Select(f => Path.Combine(Root, f))
            .Concat(NamingFolders.SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root, d), "*", SearchOption.AllDirectories)))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetExtension(f) is "" or ".md" or ".yaml" or ".yml" or ".json" or ".cs" or ".sh" or ".mjs" or ".env");
        var classes = Directory.EnumerateFiles(Path.Combine(Root, "tests"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => TestClass().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        var named = places.SelectMany(f => TestClassMention().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetRelativePath(Root, f), Name: m.Groups[1].Value))).ToList();
        Assert.Contains(named, n => n.Name == "KubernetesManifestTests"); // the search finds names at all
        var missing = named.Where(n => !classes.Contains(n.Name)).Select(n => $"{n.File}: {n.Name}").Distinct().ToList();
        Assert.True(missing.Count == 0, $"test classes named but not in tests/: {string.Join("; ", missing)}");
    }

    [Fact]
    public void Readme_StaysShort()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "README.md")).Length;
        Assert.True(lines <= 250, $"README.md has {lines} lines; reference belongs in docs/.");
    }

    private static IEnumerable<string> Settings() =>
        OptionClasses.SelectMany(type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => SectionOf(type) + ":" + p.Name));

    private static string SectionOf(Type type) => (string)type.GetField("SectionName")!.GetValue(null)!;

    private static bool IsCommandWord(string word) => CommandWord().IsMatch(word);

    private static HashSet<string> ScriptOptions(string script)
    {
        var source = File.ReadAllText(Path.Combine(Root, script));
        return [.. Regex.Matches(source, @"^\s*(--[a-z][a-z-]*)\)", RegexOptions.Multiline).Select(m => m.Groups[1].Value)];
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LoginConsumer.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("LoginConsumer.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\bclass ([A-Z][A-Za-z]*Tests)\b")]
    private static partial Regex TestClass();

    // A class name ending in Tests, not the test projects' names (LoginConsumer.IntegrationTests).
    [GeneratedRegex(@"(?<![\w.])([A-Z][A-Za-z]*Tests)\b")]
    private static partial Regex TestClassMention();

    [GeneratedRegex(@"LoginConsumer ((?:[a-z][a-z-]*|-{1,2}[a-z][a-z-]*)(?: (?:[a-z][a-z-]*|-{1,2}[a-z][a-z-]*|[A-Z0-9<>_.]+))*)")]
    private static partial Regex LoginConsumerMention();

    [GeneratedRegex(@"^\| `([a-z][a-z-]*(?: [^`]*)?)` ", RegexOptions.Multiline)]
    private static partial Regex CommandCell();

    [GeneratedRegex(@"(?<![\w-])-{1,2}[a-z][a-z-]*")]
    private static partial Regex OptionToken();

    [GeneratedRegex(@"^[a-z][a-z-]*$")]
    private static partial Regex CommandWord();

    [GeneratedRegex(@"\./((?:run|test|bench)\.sh)((?: +(?:--?[a-z][a-z-]*|[^\s`|#]+))*)")]
    private static partial Regex ScriptUse();

    [GeneratedRegex(@"\b(?:Sqs|Consumer|BatchWriter|Masking|Telemetry|Startup|HostOptions|ConnectionStrings|Logging|Migrations)(?:(?::|__)[A-Za-z]+)+(?::|__)?")]
    private static partial Regex SettingMention();
}
