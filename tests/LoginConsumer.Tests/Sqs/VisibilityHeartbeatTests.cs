using Amazon.SQS.Model;
using LoginConsumer.Hosting;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Logging.Abstractions;
using LoginConsumer.Infrastructure;

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

    [Fact]
    public void BeatFor_TheDefaults_LeavesMoreThanHalfTheTimeoutAfterTwoBeatsAHungCallAndARetry()
    {
        var timeout = TimeSpan.FromSeconds(30);
        var callTimeout = TimeSpan.FromSeconds(10);
        var beat = VisibilityHeartbeat.BeatFor(timeout, callTimeout);

        Assert.True(timeout - (2 * beat) - callTimeout - beat > timeout / 2, $"beat {beat}");
    }

    /// <summary>
    /// Leases received at every moment of a beat, with the first extension call hanging until the call timeout: each is
    /// extended while more than half its visibility timeout is left.
    /// </summary>
    [Fact]
    public async Task Run_FirstCallHangsForTheCallTimeout_EveryLeaseIsExtendedBeforeHalfItsTimeoutIsGone()
    {
        var options = new SqsOptions { VisibilityTimeoutSeconds = 6, CallTimeout = TimeSpan.FromSeconds(1), Deleters = 1 };
        using var sqs = new ScriptedSqs();
        var client = sqs.Client();
        var time = TimeProvider.System;
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        var policy = new SqsCallPolicy(wrapped, time, NullLogger<SqsCallPolicy>.Instance);
        var supervisor = new LoopSupervisor(time, NullLogger<LoopSupervisor>.Instance);
        using var heartbeat = new VisibilityHeartbeat(client, policy, supervisor, time, wrapped, NullLogger<VisibilityHeartbeat>.Instance);
        await using var deleter = new DeleteBatcher(client, policy, supervisor, time, wrapped, NullLogger<DeleteBatcher>.Instance);
        using var leases = new MessageLeases(client, policy, deleter, new ErrorQueueSender(client, new TransportAttributes(new Dictionary<string, byte[]> { ["k"] = new byte[32] }, "k", time), time), heartbeat,
            new SettleHealth(time, wrapped, NullLogger<SettleHealth>.Instance), time, wrapped, NullLogger<MessageLeases>.Instance);
        var queues = new QueueUrls("http://sqs.test/000000000000/q", "http://sqs.test/000000000000/q_error");
        using var stop = new CancellationTokenSource();
        var beating = heartbeat.RunAsync(stop.Token);
        sqs.Fail("ChangeMessageVisibilityBatch", SqsFault.Hang, times: 1);

        var started = new List<(MessageLease Lease, DateTimeOffset Received, DateTimeOffset FirstUntil)>();
        for (var i = 0; i < 8; i++)
        {
            var lease = leases.Start(queues, new Message { MessageId = "m" + i, ReceiptHandle = "h" + i, Body = "{}", Attributes = [] })!;
            started.Add((lease, time.GetUtcNow(), lease.VisibleUntil));
            await Task.Delay(heartbeat.Interval / 4);
        }

        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(options.VisibilityTimeoutSeconds);
        var extendedAfter = new TimeSpan?[started.Count];
        while (time.GetUtcNow() < deadline && extendedAfter.Any(e => e is null))
        {
            for (var i = 0; i < started.Count; i++)
            {
                if (extendedAfter[i] is null && started[i].Lease.VisibleUntil != started[i].FirstUntil)
                {
                    extendedAfter[i] = time.GetUtcNow() - started[i].Received;
                }
            }

            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await beating;
        Assert.All(extendedAfter, e => Assert.NotNull(e));
        var worst = extendedAfter.Max()!.Value;
        Assert.True(worst < TimeSpan.FromSeconds(options.VisibilityTimeoutSeconds) / 2, $"a lease was first extended {worst.TotalSeconds:F2} s after its receipt (beat {heartbeat.Interval})");
    }
}
