namespace LoginConsumer.IntegrationTests.Deploy;

/// <summary>
/// A test that needs a container engine and the local stand-ins: ./test.sh starts the engine, builds them and sets
/// LC_COMPOSE_TEST=1 (./test.sh --no-compose, or a plain dotnet test, skips it).
/// </summary>
public sealed class ComposeFactAttribute : FactAttribute
{
    public ComposeFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("LC_COMPOSE_TEST") != "1")
        {
            Skip = "needs a container engine and the stand-ins: run ./test.sh (without --no-compose)";
        }
    }
}
