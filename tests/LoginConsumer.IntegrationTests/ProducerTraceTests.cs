using Amazon.SQS.Model;
using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests;

/// <summary>
/// The consumer's process span links to the producer's trace: a W3C traceparent message attribute (what OpenTelemetry's
/// SQS instrumentation writes) and the AWSTraceHeader system attribute (what X-Ray and SNS write; a producer sets it
/// with SendMessage's MessageSystemAttributes). fauxqs drops AWSTraceHeader; <see cref="SqsFront"/> keeps it as SQS does.
/// </summary>
public sealed class ProducerTraceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestScope _scope = null!;
    private SqsFront _front = null!;
    private Amazon.SQS.AmazonSQSClient _producer = null!;

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync();
        _front = await SqsFront.StartAsync(_scope.Services.SqsEndpoint);
        _producer = TestScope.SqsClient(_front.Endpoint);
    }

    public async Task DisposeAsync()
    {
        _producer.Dispose();
        await _front.DisposeAsync();
        await _scope.DisposeAsync();
    }

    [Fact]
    public async Task ProcessSpan_LinksToTheProducersTraceFromEitherCarrier()
    {
        var w3c = await SendAsync("w3c", new SendMessageRequest
        {
            MessageAttributes = new() { ["traceparent"] = new() { DataType = "String", StringValue = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } },
        });
        var xray = await SendAsync("xray", new SendMessageRequest
        {
            MessageSystemAttributes = new() { ["AWSTraceHeader"] = new() { DataType = "String", StringValue = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" } },
        });
        var forged = await SendAsync("forged", new SendMessageRequest
        {
            MessageAttributes = new() { ["traceparent"] = new() { DataType = "String", StringValue = "00-" + new string('g', 32) + "-b7ad6b7169203331-01" } },
        });

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], new Dictionary<string, string?> { ["Telemetry__Console"] = "true", ["AWS_ENDPOINT_URL_SQS"] = _front.Endpoint });
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(3, (await _scope.RowsAsync()).Count);

        var spans = ProcessSpans(run.Output);
        output.WriteLine(string.Join("\n----\n", spans.Values));
        Assert.Contains("0af7651916cd43dd8448eb211c80319c", spans[w3c], StringComparison.Ordinal);
        Assert.Contains("b7ad6b7169203331", spans[w3c], StringComparison.Ordinal);
        Assert.Contains("5759e988bd862e3fe1be46a994272793", spans[xray], StringComparison.Ordinal);
        Assert.Contains("53995c3f42cd8ad8", spans[xray], StringComparison.Ordinal);
        Assert.DoesNotContain("Links", spans[forged], StringComparison.Ordinal);
    }

    private async Task<string> SendAsync(string user, SendMessageRequest request)
    {
        request.QueueUrl = _scope.QueueUrl;
        request.MessageBody = $$"""{"user_id": "{{user}}", "ip": "192.0.2.1", "device_id": "d"}""";
        return (await _producer.SendMessageAsync(request)).MessageId;
    }

    /// <summary>The console exporter's text of each process span, by the SQS message id it carries.</summary>
    private static Dictionary<string, string> ProcessSpans(string text)
    {
        var spans = new Dictionary<string, string>();
        foreach (var block in text.Split("Activity.TraceId:").Skip(1))
        {
            if (block.Contains("Activity.DisplayName:        process", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.Match(block, @"messaging\.message\.id: ([0-9a-f-]{36})") is { Success: true } id)
            {
                spans[id.Groups[1].Value] = block.Length > 3000 ? block[..3000] : block;
            }
        }

        return spans;
    }
}
