using Amazon.SQS.Model;
using LoginConsumer.Hosting;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Tests.Sqs;

/// <summary>Every settlement of a lease against every way its SQS calls fail, under the real SDK client, without SQS.</summary>
public sealed class MessageLeaseTests : IAsyncDisposable
{
    private const string Delete = "DeleteMessageBatch";
    private const string Send = "SendMessage";
    private const string Visibility = "ChangeMessageVisibility";

    private static readonly QueueUrls Queues = new("http://sqs.test/000000000000/login-queue", "http://sqs.test/000000000000/login-queue_error");
    private static readonly DeadLetterReason Reason = new("invalid_ip", "ip is not a valid address.", "PoisonMessageException");
    private static readonly long SentMs = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private static readonly TransportAttributes Signer = new(new Dictionary<string, byte[]> { ["k1"] = new byte[32] }, "k1", TimeProvider.System);

    private readonly ScriptedSqs _sqs = new();
    private readonly SqsOptions _options = new()
    {
        Deleters = 1,
        CallTimeout = TimeSpan.FromMilliseconds(200),
        SettleTimeout = TimeSpan.FromSeconds(3),
        RedeliveryBackoffBase = TimeSpan.FromSeconds(5),
    };

    private readonly DeleteBatcher _deleter;
    private readonly MessageLeases _leases;
    private readonly VisibilityHeartbeat _heartbeat;
    private readonly SettleHealth _health;

    public MessageLeaseTests()
    {
        var client = _sqs.Client();
        var options = Options.Create(_options);
        var time = TimeProvider.System;
        var policy = new SqsCallPolicy(options, time, NullLogger<SqsCallPolicy>.Instance);
        var supervisor = new LoopSupervisor(time, NullLogger<LoopSupervisor>.Instance);
        _deleter = new DeleteBatcher(client, policy, supervisor, time, options, NullLogger<DeleteBatcher>.Instance);
        _heartbeat = new VisibilityHeartbeat(client, policy, supervisor, time, options, NullLogger<VisibilityHeartbeat>.Instance);
        _health = new SettleHealth(time, options, NullLogger<SettleHealth>.Instance);
        _leases = new MessageLeases(client, policy, _deleter, new ErrorQueueSender(client, Signer, time), _heartbeat, _health, time, options, NullLogger<MessageLeases>.Instance);
    }

    public static TheoryData<SqsFault> TransientFaults => new() { SqsFault.Reset, SqsFault.Refused, SqsFault.Hang, SqsFault.ServerError };

    public async ValueTask DisposeAsync()
    {
        await _deleter.DisposeAsync();
        _heartbeat.Dispose();
        _leases.Dispose();
        _sqs.Dispose();
    }

    [Fact]
    public async Task Complete_NoFailure_DeletesOnceAndStopsExtending()
    {
        var lease = Start();
        Assert.Equal(1, _heartbeat.Count);

        Assert.True(await lease.CompleteAsync());

        Assert.Equal(1, _sqs.Successes(Delete));
        Assert.Equal(0, _heartbeat.Count);
    }

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public async Task Complete_TransientFailures_RetriesUntilDeleted(SqsFault fault)
    {
        _sqs.Fail(Delete, fault, times: 2);

        Assert.True(await Start().CompleteAsync());

        Assert.Equal(3, _sqs.Calls(Delete));
        Assert.Equal(1, _sqs.Successes(Delete));
    }

    [Fact]
    public async Task Complete_EntryFailedOnSqsSide_RetriesThatEntry()
    {
        _sqs.Fail(Delete, SqsFault.PartialTransient);

        Assert.True(await Start().CompleteAsync());

        Assert.Equal(2, _sqs.Calls(Delete));
    }

    [Fact]
    public async Task Complete_SqsSaysTheEntryIsWrong_GivesUpAtOnceWithoutThrowing()
    {
        _sqs.Fail(Delete, SqsFault.PartialSenderFault, times: 5);

        Assert.False(await Start().CompleteAsync());

        Assert.Equal(1, _sqs.Calls(Delete));
        Assert.Equal(0, _heartbeat.Count);
    }

    [Fact]
    public async Task Complete_FailingLongerThanTheSettleTimeout_KeepsTheMessageHiddenAndTriesAgainUntilTheServiceStops()
    {
        _sqs.Fail(Delete, SqsFault.Hang, times: 1_000);
        var lease = Start();
        var completing = lease.CompleteAsync();

        // Past one settle timeout the message is still held (the heartbeat extends it) and its delete still tried.
        await Task.Delay(_options.SettleTimeout + TimeSpan.FromSeconds(1));
        Assert.False(completing.IsCompleted);
        Assert.Equal(1, _heartbeat.Count);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _leases.StopRetrying();

        Assert.False(await completing);
        Assert.True(clock.Elapsed < _options.SettleTimeout + TimeSpan.FromSeconds(1), $"gave up {clock.Elapsed} after the stop");
        Assert.True(_sqs.Calls(Delete) >= 3, $"only {_sqs.Calls(Delete)} attempts");
        Assert.Equal(0, _heartbeat.Count);
    }

    [Fact]
    public async Task Complete_DeniedThenAllowed_IsDeletedOnceAndSettlingIsStalledOnlyMeanwhile()
    {
        // A 4xx for the whole request (access denied, a queue policy) is not about this message: it is tried again.
        _sqs.Fail(Delete, SqsFault.SenderFault, times: 3);

        Assert.True(await Start().CompleteAsync());

        Assert.Equal(4, _sqs.Calls(Delete));
        Assert.Equal(1, _sqs.Successes(Delete));
        Assert.Null(_health.Stalled);
    }

    [Fact]
    public async Task DeadLetter_NoFailure_SendsWithTheReasonThenDeletes()
    {
        Assert.True(await Start().DeadLetterAsync(Reason, "row-key", SentMs));

        var sent = _sqs.Requests.Single(r => r.Operation == Send).Body;
        Assert.Equal(Queues.Error, (string?)sent["QueueUrl"]);
        Assert.Equal("invalid_ip", (string?)sent["MessageAttributes"]![ErrorQueueSender.ReasonCodeAttribute]!["StringValue"]);

        // The row key and send time go signed, so that a redrive stores the original row.
        var attributes = sent["MessageAttributes"]!.AsObject().ToDictionary(
            a => a.Key, a => new Amazon.SQS.Model.MessageAttributeValue { DataType = (string?)a.Value!["DataType"], StringValue = (string?)a.Value["StringValue"] });
        var redriven = new Message { MessageId = "redriven", MessageAttributes = attributes, Attributes = [] };
        Assert.Equal(("row-key", SentMs, TransportAttributes.Verdict.Trusted), Signer.Read(redriven));
        Assert.Equal(1, _sqs.Successes(Delete));
        Assert.Equal(0, _sqs.Calls(Visibility));
    }

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public async Task DeadLetter_SendFailsTransiently_RetriesThenSendsOnceAndDeletes(SqsFault fault)
    {
        _sqs.Fail(Send, fault);

        Assert.True(await Start().DeadLetterAsync(Reason, "row-key", SentMs));

        Assert.Equal(1, _sqs.Successes(Send));
        Assert.Equal(1, _sqs.Successes(Delete));
    }

    [Theory]
    [InlineData(SqsFault.Reset)]
    [InlineData(SqsFault.SenderFault)]
    public async Task DeadLetter_SendNeverSucceeds_IsTriedUntilTheServiceStopsThenReleasedWithBackoffAndNeverDeleted(SqsFault fault)
    {
        _sqs.Fail(Send, fault, times: 1_000);

        var sending = Start(receiveCount: 2).DeadLetterAsync(Reason, "row-key", SentMs);
        await Poll(() => _sqs.Calls(Send) >= 2);
        Assert.False(sending.IsCompleted);
        _leases.StopRetrying();
        Assert.False(await sending);

        Assert.Equal(0, _sqs.Calls(Delete));
        var release = _sqs.Requests.Single(r => r.Operation == Visibility && r.Answered).Body;
        Assert.Equal(20, (int)release["VisibilityTimeout"]!); // 5 s × 4^(2 − 1)
        Assert.Equal(0, _heartbeat.Count);
    }

    [Fact]
    public async Task DeadLetter_SentButTheDeleteRefusedOnce_IsSentOnceAndDeletedOnRetry()
    {
        _sqs.Fail(Delete, SqsFault.SenderFault);

        Assert.True(await Start().DeadLetterAsync(Reason, "row-key", SentMs));

        Assert.Equal(1, _sqs.Successes(Send));
        Assert.Equal(1, _sqs.Successes(Delete));
    }

    [Fact]
    public async Task DeadLetter_SentButTheEntryIsStale_StillCountsAsDeadLetteredOnce()
    {
        _sqs.Fail(Delete, SqsFault.PartialSenderFault);

        Assert.True(await Start().DeadLetterAsync(Reason, "row-key", SentMs));

        Assert.Equal(1, _sqs.Successes(Send));
        Assert.Equal(1, _sqs.Calls(Delete));
    }

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public async Task Release_TransientFailures_RetriesUntilTheVisibilityIsSet(SqsFault fault)
    {
        _sqs.Fail(Visibility, fault, times: 2);

        await Start().ReleaseAsync(TimeSpan.FromSeconds(7));

        var set = _sqs.Requests.Single(r => r.Operation == Visibility && r.Answered).Body;
        Assert.Equal(7, (int)set["VisibilityTimeout"]!);
        Assert.Equal(0, _sqs.Calls(Delete));
    }

    [Fact]
    public async Task Release_NeverSucceeds_EndsWithoutThrowing()
    {
        _sqs.Fail(Visibility, SqsFault.SenderFault, times: 1_000);

        await Start().ReleaseAsync(TimeSpan.Zero);

        Assert.Equal(1, _sqs.Calls(Visibility));
        Assert.Equal(0, _heartbeat.Count);
    }

    [Fact]
    public async Task Settle_Twice_TheSecondDoesNothing()
    {
        var lease = Start();
        Assert.True(await lease.CompleteAsync());

        Assert.False(await lease.DeadLetterAsync(Reason, "row-key", SentMs));
        await lease.ReleaseAsync(TimeSpan.Zero);
        Assert.False(await lease.CompleteAsync());

        Assert.Single(_sqs.Requests);
        Assert.True(lease.IsSettled);
    }

    [Fact]
    public async Task Start_SameMessageReceivedAgainWhileHeld_IsAdoptedAndSettledOnceWithTheNewestHandle()
    {
        var lease = Start();
        var again = Message(lease.MessageId, receiveCount: 2);

        Assert.Null(_leases.Start(Queues, again));
        Assert.Equal(again.ReceiptHandle, lease.ReceiptHandle);
        Assert.Equal(2, lease.ReceiveCount);
        Assert.True(await lease.CompleteAsync());

        var deleted = _sqs.Requests.Single(r => r.Operation == Delete).Body["Entries"]!.AsArray().Single()!;
        Assert.Equal(again.ReceiptHandle, (string?)deleted["ReceiptHandle"]);
        Assert.NotNull(_leases.Start(Queues, Message(lease.MessageId, receiveCount: 3)));
    }

    [Fact]
    public async Task Start_SameMessageReceivedAgainWhileItsErrorQueueSendRetries_IsAdoptedAndDeadLetteredOnce()
    {
        _sqs.Fail(Send, SqsFault.Reset, times: 2);
        var lease = Start();
        var deadLettering = lease.DeadLetterAsync(Reason, "row-key", SentMs);
        var again = Message(lease.MessageId, receiveCount: 2);

        Assert.Null(_leases.Start(Queues, again));
        Assert.True(await deadLettering);

        Assert.Equal(1, _sqs.Successes(Send));
        var deleted = _sqs.Requests.Where(r => r.Operation == Delete && r.Answered).SelectMany(r => r.Body["Entries"]!.AsArray()).Select(e => (string?)e!["ReceiptHandle"]).ToList();
        Assert.Contains(again.ReceiptHandle, deleted);
    }

    private static async Task Poll(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }

    private MessageLease Start(int receiveCount = 1) => _leases.Start(Queues, Message(Guid.NewGuid().ToString(), receiveCount))!;

    private static Message Message(string messageId, int receiveCount) => new()
    {
        MessageId = messageId,
        ReceiptHandle = "handle-" + Guid.NewGuid().ToString("N"),
        Body = """{"user_id": "u1"}""",
        Attributes = new Dictionary<string, string> { [SqsAttributes.ReceiveCountName] = receiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };
}
