namespace LoginConsumer.IntegrationTests.Infrastructure;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The shared test data beside the repository root; never copied into the repo.</summary>
    public static string SharedData(string name) => Path.Combine(Root, "..", "shared", "data", name);

    public static string ConsumerDll => Path.Combine(AppContext.BaseDirectory, "LoginConsumer.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LoginConsumer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (LoginConsumer.sln) above " + AppContext.BaseDirectory);
    }
}
