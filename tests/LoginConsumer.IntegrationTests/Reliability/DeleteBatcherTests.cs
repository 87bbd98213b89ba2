using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Hosting;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.IntegrationTests.Reliability;

public sealed class DeleteBatcherTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task DeleteAsync_BatchWithAnInvalidAndAStaleReceiptHandle_DeletesTheGoodOneAndNeverThrows()
    {
        await _scope.SendAsync(["{\"user_id\": \"a\"}", "{\"user_id\": \"b\"}"]);
        var first = await _scope.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = _scope.QueueUrl, MaxNumberOfMessages = 1, VisibilityTimeout = 0 });
        var stale = Assert.Single(first.Messages);
        var again = await _scope.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = _scope.QueueUrl, MaxNumberOfMessages = 10, VisibilityTimeout = 30 });
        Assert.Equal(2, again.Messages.Count);

        var deleter = Deleter(_scope.Sqs);
        var results = await Task.WhenAll(
            deleter.DeleteAsync(_scope.QueueUrl, "invalid", "not-a-receipt-handle"),
            deleter.DeleteAsync(_scope.QueueUrl, stale.MessageId, stale.ReceiptHandle),
            deleter.DeleteAsync(_scope.QueueUrl, again.Messages[0].MessageId, again.Messages[0].ReceiptHandle),
            deleter.DeleteAsync(_scope.QueueUrl, again.Messages[1].MessageId, again.Messages[1].ReceiptHandle))
            .WaitAsync(TimeSpan.FromSeconds(30));
        await deleter.DisposeAsync();

        Assert.True(results[2] == DeleteBatcher.Result.Deleted && results[3] == DeleteBatcher.Result.Deleted, "the current receipt handles were not deleted");
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }

    [Fact]
    public async Task DeleteAsync_ConnectionResetDuringDeleteMessageBatch_RetriesUntilDeleted()
    {
        await _scope.SendAsync(NumberedLogins.Bodies("del", 5));
        var received = await _scope.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = _scope.QueueUrl, MaxNumberOfMessages = 10, VisibilityTimeout = 60, WaitTimeSeconds = 1 });
        Assert.Equal(5, received.Messages.Count);

        await using var proxy = FaultProxy.ForUrl(_scope.Services.SqsEndpoint);
        using var throughProxy = TestScope.SqsClient(proxy.HttpEndpoint);
        proxy.ResetRequestsContaining("AmazonSQS.DeleteMessageBatch", times: 3);
        var deleter = Deleter(throughProxy);
        var results = await Task.WhenAll(received.Messages.Select(m => deleter.DeleteAsync(_scope.QueueUrl, m.MessageId, m.ReceiptHandle)))
            .WaitAsync(TimeSpan.FromSeconds(60));
        await deleter.DisposeAsync();

        Assert.Equal(0, proxy.PendingRequestResets);
        Assert.True(proxy.Resets >= 3, $"only {proxy.Resets} connections were reset");
        Assert.All(results, r => Assert.Equal(DeleteBatcher.Result.Deleted, r));
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }

    private static DeleteBatcher Deleter(IAmazonSQS sqs)
    {
        var options = Options.Create(new SqsOptions { Deleters = 1, SettleTimeout = TimeSpan.FromSeconds(30) });
        var supervisor = new LoopSupervisor(TimeProvider.System, NullLogger<LoopSupervisor>.Instance);
        return new DeleteBatcher(sqs, new SqsCallPolicy(options, TimeProvider.System, NullLogger<SqsCallPolicy>.Instance), supervisor, TimeProvider.System, options, NullLogger<DeleteBatcher>.Instance);
    }
}
