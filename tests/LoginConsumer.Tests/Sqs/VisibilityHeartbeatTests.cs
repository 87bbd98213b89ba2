using LoginConsumer.Sqs;

namespace LoginConsumer.Tests.Sqs;

public sealed class VisibilityHeartbeatTests
{
    private static readonly DateTimeOffset Received = new(2026, 11, 26, 7, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Beat = TimeSpan.FromSeconds(10);

    [Fact]
    public void IsDue_LessThanOneBeatInFlight_IsNotDue() =>
        Assert.False(VisibilityHeartbeat.IsDue(Received + Timeout, Received, Received.AddSeconds(9), Timeout, Beat));

    [Fact]
    public void IsDue_OneBeatInFlight_IsDue() =>
        Assert.True(VisibilityHeartbeat.IsDue(Received + Timeout, Received, Received.AddSeconds(10), Timeout, Beat));

    [Fact]
    public void IsDue_ExtendedLessThanABeatAgo_IsNotDue()
    {
        var now = Received.AddMinutes(5);
        Assert.False(VisibilityHeartbeat.IsDue(now.AddSeconds(25), Received, now, Timeout, Beat));
    }

    [Fact]
    public void IsDue_OneMoreExtensionWouldPassTwelveHours_IsNotDue()
    {
        var now = Received + TimeSpan.FromHours(12) - TimeSpan.FromSeconds(20);
        Assert.False(VisibilityHeartbeat.IsDue(now.AddSeconds(5), Received, now, Timeout, Beat));
    }

    [Fact]
    public void IsDue_ExtensionEndingExactlyAtTwelveHours_IsStillDue()
    {
        var now = Received + TimeSpan.FromHours(12) - Timeout;
        Assert.True(VisibilityHeartbeat.IsDue(now.AddSeconds(5), Received, now, Timeout, Beat));
    }
}
