using Amazon.SQS.Model;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

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

        var deleter = new DeleteBatcher(_scope.Sqs, Options.Create(new SqsOptions { Deleters = 1 }), NullLogger<DeleteBatcher>.Instance);
        await Task.WhenAll(
            deleter.DeleteAsync(_scope.QueueUrl, "invalid", "not-a-receipt-handle"),
            deleter.DeleteAsync(_scope.QueueUrl, stale.MessageId, stale.ReceiptHandle),
            deleter.DeleteAsync(_scope.QueueUrl, again.Messages[0].MessageId, again.Messages[0].ReceiptHandle),
            deleter.DeleteAsync(_scope.QueueUrl, again.Messages[1].MessageId, again.Messages[1].ReceiptHandle))
            .WaitAsync(TimeSpan.FromSeconds(30));
        await deleter.DisposeAsync();

        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }
}
