namespace LoginConsumer.IntegrationTests.Deploy;

/// <summary>
/// Tests that saturate the 2 cores for a while (a ReadyToRun publish) run on their own, after the others: run beside the
/// timing-sensitive reliability tests they starve those tests' visibility heartbeats.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "CPU-heavy, run alone";
}
