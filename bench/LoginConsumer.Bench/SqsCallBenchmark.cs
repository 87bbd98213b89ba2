using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using BenchmarkDotNet.Attributes;
using LoginConsumer.Sample;
using LoginConsumer.Sqs;

namespace LoginConsumer.Bench;

/// <summary>
/// What the AWS SDK costs for the two calls that move ten messages (one ReceiveMessage of 10, one DeleteMessageBatch
/// of 10), with no network: an in-process handler answers as the emulator would. The SDK client, configured as the
/// shipped one is, sends the shipped receive request. Beside it, the same two
/// exchanges made with a plain HttpClient and System.Text.Json (no signing, no SDK pipeline, no MD5 checks), so
/// the SDK's own share can be read off. Divide by ten for the cost per message.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet disposes what the benchmark owns through [GlobalCleanup].
public class SqsCallBenchmark
#pragma warning restore CA1001
{
    private const string ServiceUrl = "http://127.0.0.1:4566";
    private const string QueueUrl = ServiceUrl + "/000000000000/login-queue";
    private static readonly SqsOptions Defaults = new();
    private static readonly int Batch = Defaults.MaxMessagesPerReceive;

    // The plain client asks for what the shipped receive asks for.
    private static readonly WireReceive PlainReceive = WireReceive.From(Receive());

    private CannedSqs _canned = null!;
    private AmazonSQSClient _sdk = null!;
    private HttpClient _plain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _canned = new CannedSqs(SampleMessages.Generate(Batch, seed: 11, malformedEvery: 0).ToList());
        _sdk = new AmazonSQSClient(
            new BasicAWSCredentials("bench", "bench"),
            new AmazonSQSConfig { ServiceURL = ServiceUrl, HttpClientFactory = new CannedClientFactory(_canned), MaxErrorRetry = 0 });
        _plain = new HttpClient(_canned, disposeHandler: false);

        // Each side must really move ten messages, and the SDK must really sign, or this measures less than it says.
        // The plain client signs nothing, so the count is read before it runs.
        Check("SDK", SdkPair().GetAwaiter().GetResult());
        if (_canned.UnsignedRequests != 0)
        {
            throw new InvalidOperationException("The SDK sent a request without an Authorization header.");
        }

        Check("plain HttpClient", PlainPair().GetAwaiter().GetResult());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sdk.Dispose();
        _plain.Dispose();
        _canned.Dispose();
    }

    [Benchmark]
    public Task<int> SdkPair() => SdkPairAsync();

    [Benchmark(Baseline = true)]
    public Task<int> PlainPair() => PlainPairAsync();

    private void Check(string side, int deleted)
    {
        var matched = _canned.LastDeleteMatched();
        if (deleted != Batch || matched != Batch)
        {
            throw new InvalidOperationException($"{side}: {matched} of {Batch} received messages named in the delete, {deleted} reported deleted.");
        }
    }

    private static ReceiveMessageRequest Receive() => SqsReceiveLoop.ReceiveRequest(QueueUrl, Batch, Defaults.WaitTimeSeconds, Defaults.VisibilityTimeoutSeconds);

    private async Task<int> SdkPairAsync()
    {
        var received = await _sdk.ReceiveMessageAsync(Receive()).ConfigureAwait(false);
        var deleted = await _sdk.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
        {
            QueueUrl = QueueUrl,
            Entries = [.. received.Messages.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))],
        }).ConfigureAwait(false);
        return deleted.Successful?.Count ?? 0;
    }

    private async Task<int> PlainPairAsync()
    {
        var received = await PostAsync<WireReceiveResult>("ReceiveMessage", PlainReceive).ConfigureAwait(false);
        var entries = received.Messages!.Select((m, i) => new WireDeleteEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList();
        var deleted = await PostAsync<WireDeleteResult>("DeleteMessageBatch", new WireDelete(QueueUrl, entries)).ConfigureAwait(false);
        return deleted.Successful?.Count ?? 0;
    }

    private async Task<T> PostAsync<T>(string action, object request)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, ServiceUrl + "/") { Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request)) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
        message.Headers.TryAddWithoutValidation("X-Amz-Target", "AmazonSQS." + action);
        using var response = await _plain.SendAsync(message).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        return (await JsonSerializer.DeserializeAsync<T>(body).ConfigureAwait(false))!;
    }

    public sealed record WireReceive(string QueueUrl, int? MaxNumberOfMessages, int? WaitTimeSeconds, int? VisibilityTimeout, List<string> MessageSystemAttributeNames, List<string> MessageAttributeNames)
    {
        public static WireReceive From(ReceiveMessageRequest r) =>
            new(r.QueueUrl, r.MaxNumberOfMessages, r.WaitTimeSeconds, r.VisibilityTimeout, r.MessageSystemAttributeNames, r.MessageAttributeNames);
    }

    public sealed record WireMessage(string MessageId, string ReceiptHandle, string MD5OfBody, string Body, Dictionary<string, string>? Attributes);

    public sealed record WireReceiveResult(List<WireMessage>? Messages);

    public sealed record WireDeleteEntry(string Id, string ReceiptHandle);

    public sealed record WireDelete(string QueueUrl, List<WireDeleteEntry> Entries);

    public sealed record WireDeleteResult(List<WireDeleteEntry>? Successful);

    /// <summary>Answers ReceiveMessage with the same ten messages (valid MD5s, the two system attributes) and DeleteMessageBatch with ten successes.</summary>
    private sealed class CannedSqs : HttpMessageHandler
    {
        private readonly byte[] _receive;
        private readonly byte[] _deleted;
        private readonly HashSet<string> _handles;
        private byte[] _lastDelete = [];
        private int _unsigned;

        public CannedSqs(IReadOnlyList<string> bodies)
        {
            var messages = bodies.Select(body => new Dictionary<string, object>
            {
                ["MessageId"] = Guid.NewGuid().ToString(),
                ["ReceiptHandle"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(96)),
#pragma warning disable CA5351 // SQS's protocol carries an MD5 of each body, and the SDK checks it.
                ["MD5OfBody"] = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body))),
#pragma warning restore CA5351
                ["Body"] = body,
                ["Attributes"] = new Dictionary<string, string> { ["SentTimestamp"] = "1764201600000", ["ApproximateReceiveCount"] = "1" },
            }).ToList();
            _receive = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["Messages"] = messages });
            _handles = [.. messages.Select(m => (string)m["ReceiptHandle"])];
            _deleted = JsonSerializer.SerializeToUtf8Bytes(new { Successful = Enumerable.Range(0, bodies.Count).Select(i => new { Id = i.ToString(CultureInfo.InvariantCulture) }) });
        }

        /// <summary>How many of the receipt handles it handed out the last DeleteMessageBatch named.</summary>
        public int LastDeleteMatched()
        {
            using var json = JsonDocument.Parse(_lastDelete);
            return json.RootElement.GetProperty("Entries").EnumerateArray().Count(e => _handles.Contains(e.GetProperty("ReceiptHandle").GetString()!));
        }

        public int UnsignedRequests => Volatile.Read(ref _unsigned);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var target = request.Headers.TryGetValues("X-Amz-Target", out var values) ? values.Single() : "";
            if (!(request.Headers.TryGetValues("Authorization", out var authorization) && authorization.Single().StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref _unsigned);
            }

            byte[] answer;
            if (target == "AmazonSQS.ReceiveMessage")
            {
                answer = _receive;
            }
            else if (target == "AmazonSQS.DeleteMessageBatch")
            {
                _lastDelete = await request.Content!.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                answer = _deleted;
            }
            else
            {
                return new HttpResponseMessage(HttpStatusCode.BadRequest) { RequestMessage = request };
            }

            var content = new ByteArrayContent(answer);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
            response.Headers.TryAddWithoutValidation("x-amzn-RequestId", "bench");
            return response;
        }
    }

    private sealed class CannedClientFactory(HttpMessageHandler handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);
    }
}
