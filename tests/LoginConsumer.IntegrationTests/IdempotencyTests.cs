using Amazon.SQS.Model;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Sqs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LoginConsumer.IntegrationTests;

public sealed class IdempotencyTests : IAsyncLifetime
{
    private const string Body = """{"user_id": "424cdd21-063a-43a7-b91b-7ca1a833afae", "app_version": "2.3.0", "device_type": "android", "ip": "199.172.111.135", "locale": "RU", "device_id": "593-47-5928"}""";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task RunUntilEmpty_SameBodySentAsTwoMessages_StoresTwoRowsWithEqualMaskedValues()
    {
        var first = await _scope.SendOneAsync(Body);
        var second = await _scope.SendOneAsync(Body);

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"]);

        Assert.True(run.ExitCode == 0, run.Output);
        var rows = await _scope.RowsAsync();
        Assert.Equal(new[] { first, second }.Order(), rows.Select(r => r.MessageId).Order());
        Assert.Equal(rows[0] with { MessageId = "" }, rows[1] with { MessageId = "" });
        Assert.StartsWith(TestScope.KeyId + ":", rows[0].MaskedIp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_OneMessageReceivedTwice_StoresOneRowAndDeletesIt()
    {
        var messageId = await _scope.SendOneAsync(Body);
        var firstDelivery = await ReceiveOnceAsync(visibilityTimeout: 0);
        var secondDelivery = await ReceiveOnceAsync(visibilityTimeout: 30);
        Assert.Equal(messageId, firstDelivery.MessageId);
        Assert.Equal(messageId, secondDelivery.MessageId);
        Assert.NotEqual(firstDelivery.ReceiptHandle, secondDelivery.ReceiptHandle);

        using var host = _scope.BuildInProcessConsumer();
        await host.StartAsync();
        var handler = host.Services.GetRequiredService<SqsMessageHandler>();
        var leases = host.Services.GetRequiredService<MessageLeases>();
        var queues = new QueueUrls(_scope.QueueUrl, _scope.ErrorQueueUrl);
        await handler.HandleAsync(leases.Start(queues, firstDelivery)!, leases, CancellationToken.None);
        await handler.HandleAsync(leases.Start(queues, secondDelivery)!, leases, CancellationToken.None);
        await host.StopAsync();

        var row = Assert.Single(await _scope.RowsAsync());
        Assert.Equal(messageId, row.MessageId);
        Assert.Empty(await _scope.ReceiveAllErrorsAsync());
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }

    private async Task<Message> ReceiveOnceAsync(int visibilityTimeout)
    {
        var response = await _scope.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = _scope.QueueUrl,
            MaxNumberOfMessages = 1,
            VisibilityTimeout = visibilityTimeout,
            WaitTimeSeconds = 5,
            MessageSystemAttributeNames = [SqsAttributes.SentTimestampName, SqsAttributes.ReceiveCountName],
        });
        return Assert.Single(response.Messages);
    }
}
