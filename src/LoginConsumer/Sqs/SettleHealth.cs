using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// Whether received messages can be settled: deleted once stored, sent to the error queue once found poison. When
/// either has failed without a success for <see cref="SqsOptions.SettleStallAfter"/> (IAM or a queue policy denying
/// DeleteMessage or SendMessage, a queue deleted under the service), receiving pauses, /health/ready says why and
/// <c>loginconsumer.settle.stalled</c> is 1: taking more messages would only store them again and again, or let SQS's
/// RedrivePolicy move good ones to the error queue without a reason. The settlements held meanwhile keep trying, and
/// the first that succeeds lifts the pause.
/// </summary>
public sealed partial class SettleHealth(TimeProvider time, IOptions<SqsOptions> options, ILogger<SettleHealth> logger)
{
    private static readonly TimeSpan PausedPoll = TimeSpan.FromMilliseconds(500);

    private readonly TimeSpan _stallAfter = options.Value.SettleStallAfter;
    private long _deleteFailingSince;
    private long _sendFailingSince;
    private int _reportedStalled;

    public enum Settlement
    {
        Delete,
        ErrorQueueSend,
    }

    public void Succeeded(Settlement settlement)
    {
        if (Interlocked.Exchange(ref Field(settlement), 0) != 0 && Stalled is null && Interlocked.Exchange(ref _reportedStalled, 0) == 1)
        {
            LogResumed(settlement);
        }
    }

    public void Failed(Settlement settlement) => Interlocked.CompareExchange(ref Field(settlement), time.GetUtcNow().UtcTicks, 0);

    /// <summary>What cannot be settled and for how long, or null while settling works.</summary>
    public string? Stalled
    {
        get
        {
            var now = time.GetUtcNow().UtcTicks;
            var deletes = Since(Volatile.Read(ref _deleteFailingSince), now);
            var sends = Since(Volatile.Read(ref _sendFailingSince), now);
            return (deletes, sends) switch
            {
                (null, null) => null,
                ({ } d, null) => Describe("DeleteMessage on login-queue", d),
                (null, { } s) => Describe("SendMessage to the error queue", s),
                ({ } d, { } s) => Describe("DeleteMessage on login-queue", d) + "; " + Describe("SendMessage to the error queue", s),
            };
        }
    }

    /// <summary>Completes at once while settling works; otherwise when it works again.</summary>
    public async Task WaitUntilSettlingAsync(CancellationToken cancellationToken)
    {
        while (Stalled is { } why)
        {
            if (Interlocked.Exchange(ref _reportedStalled, 1) == 0)
            {
                LogPaused(why);
            }

            await Task.Delay(PausedPoll, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private ref long Field(Settlement settlement) => ref settlement == Settlement.Delete ? ref _deleteFailingSince : ref _sendFailingSince;

    private TimeSpan? Since(long failingSince, long now) =>
        failingSince != 0 && TimeSpan.FromTicks(now - failingSince) is var failing && failing >= _stallAfter ? failing : null;

    private static string Describe(string call, TimeSpan failing) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{call} has failed for {failing.TotalSeconds:F0} s without a success");

    [LoggerMessage(EventId = 1230, Level = LogLevel.Error, Message = "Messages cannot be settled ({Why}): receiving is paused until a settlement succeeds; check the IAM role and the queue policies")]
    private partial void LogPaused(string why);

    [LoggerMessage(EventId = 1231, Level = LogLevel.Information, Message = "{Settlement} works again; receiving resumes")]
    private partial void LogResumed(Settlement settlement);
}
