using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SQS;

namespace LoginConsumer.Tests.Sqs;

/// <summary>How one SQS call fails: what the AWS SDK sees when the network or the service misbehaves.</summary>
public enum SqsFault
{
    /// <summary>The connection is reset (the SDK surfaces an IOException).</summary>
    Reset,

    /// <summary>The connection is refused (HttpRequestException).</summary>
    Refused,

    /// <summary>No answer, ever: only a timeout ends the call.</summary>
    Hang,

    /// <summary>SQS answers 500.</summary>
    ServerError,

    /// <summary>SQS answers 400: the request itself is wrong (a stale receipt handle). Never worth retrying.</summary>
    SenderFault,

    /// <summary>A batch call succeeds, but its first entry failed on SQS's side.</summary>
    PartialTransient,

    /// <summary>A batch call succeeds, but its first entry failed for the sender's fault.</summary>
    PartialSenderFault,
}

/// <summary>
/// A stand-in for SQS at the HTTP layer, under the real AWS SDK client: it answers the JSON protocol as SQS does and
/// fails the calls a test scripts, the way networks and the service fail. It records every request.
/// </summary>
public sealed class ScriptedSqs : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<SqsFault>> _faults = new(StringComparer.Ordinal);

    public ConcurrentQueue<(string Operation, JsonObject Body, bool Answered)> Requests { get; } = new();

    /// <summary>The next <paramref name="times"/> calls of <paramref name="operation"/> fail with <paramref name="fault"/>.</summary>
    public ScriptedSqs Fail(string operation, SqsFault fault, int times = 1)
    {
        var queue = _faults.GetOrAdd(operation, _ => new ConcurrentQueue<SqsFault>());
        for (var i = 0; i < times; i++)
        {
            queue.Enqueue(fault);
        }

        return this;
    }

    public int Calls(string operation) => Requests.Count(r => r.Operation == operation);

    public int Successes(string operation) => Requests.Count(r => r.Operation == operation && r.Answered);

    /// <summary>A real SDK client that talks to this handler, with the SDK's own retries off (the policy under test retries).</summary>
    public AmazonSQSClient Client() => new(
        new BasicAWSCredentials("test", "test"),
        new AmazonSQSConfig { ServiceURL = "http://sqs.test", AuthenticationRegion = "eu-west-1", MaxErrorRetry = 0, HttpClientFactory = new Factory(this) });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var operation = request.Headers.GetValues("X-Amz-Target").Single().Split('.')[1];
        var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync(cancellationToken))!.AsObject();
        var fault = _faults.TryGetValue(operation, out var queue) && queue.TryDequeue(out var next) ? next : (SqsFault?)null;
        Requests.Enqueue((operation, body, fault is null or SqsFault.PartialTransient or SqsFault.PartialSenderFault));
        switch (fault)
        {
            case SqsFault.Reset:
                throw new IOException("Connection reset by peer");
            case SqsFault.Refused:
                throw new HttpRequestException("Connection refused");
            case SqsFault.Hang:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                throw new InvalidOperationException("unreachable");
            case SqsFault.ServerError:
                return Error(HttpStatusCode.InternalServerError, "InternalError", "Receiver");
            case SqsFault.SenderFault:
                return Error(HttpStatusCode.BadRequest, "ReceiptHandleIsInvalid", "Sender");
            default:
                return Json(Answer(operation, body, fault));
        }
    }

    private static JsonObject Answer(string operation, JsonObject body, SqsFault? fault)
    {
        switch (operation)
        {
            case "SendMessage":
                var text = (string)body["MessageBody"]!;

                // SQS answers with the body's MD5, and the SDK checks it: not a security use.
#pragma warning disable CA5351
                return new JsonObject
                {
                    ["MessageId"] = Guid.NewGuid().ToString(),
                    ["MD5OfMessageBody"] = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text))),
                };
#pragma warning restore CA5351
            case "DeleteMessageBatch" or "ChangeMessageVisibilityBatch":
                var ids = body["Entries"]!.AsArray().Select(e => (string)e!["Id"]!).ToList();
                var failed = new JsonArray();
                if (fault is SqsFault.PartialTransient or SqsFault.PartialSenderFault)
                {
                    failed.Add(new JsonObject { ["Id"] = ids[0], ["Code"] = fault == SqsFault.PartialSenderFault ? "ReceiptHandleIsInvalid" : "InternalError", ["SenderFault"] = fault == SqsFault.PartialSenderFault, ["Message"] = "scripted" });
                    ids.RemoveAt(0);
                }

                return new JsonObject { ["Successful"] = new JsonArray([.. ids.Select(id => (JsonNode)new JsonObject { ["Id"] = id })]), ["Failed"] = failed };
            default:
                return [];
        }
    }

    private static HttpResponseMessage Json(JsonObject body) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/x-amz-json-1.0"),
    };

    private static HttpResponseMessage Error(HttpStatusCode status, string code, string fault)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["__type"] = "com.amazonaws.sqs#" + code, ["message"] = "scripted" }), Encoding.UTF8, "application/x-amz-json-1.0"),
        };
        response.Headers.Add("x-amzn-query-error", code + ";" + fault);
        return response;
    }

    private sealed class Factory(ScriptedSqs handler) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }
}
