using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>
/// An HTTP front for the SQS emulator that speaks SQS's JSON protocol and adds what the emulator lacks, as the SQS
/// Developer Guide and API Reference document it. Every other request is forwarded unchanged.
/// <list type="bullet">
/// <item><c>StartMessageMoveTask</c> and <c>ListMessageMoveTasks</c> (fauxqs answers InvalidAction): a move task
/// moves each message as a new message, with a new MessageId and a new SentTimestamp; its message attributes are
/// kept.</item>
/// <item>An action denied by IAM or the queue policy: answered with <c>AccessDenied</c> (HTTP 403), as SQS does.</item>
/// <item>The <c>AWSTraceHeader</c> message system attribute (fauxqs drops it): the only system attribute a producer
/// can set, with SendMessage's or SendMessageBatch's <c>MessageSystemAttributes</c>, and returned by ReceiveMessage
/// when <c>MessageSystemAttributeNames</c> asks for it or for <c>All</c>.</item>
/// </list>
/// </summary>
public sealed class SqsFront : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _forward = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly Uri _target;
    private readonly AmazonSQSClient _emulator;
    private readonly ConcurrentDictionary<string, byte> _denied = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MoveTask> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _traceHeaders = new(StringComparer.Ordinal);

    private SqsFront(WebApplication app, string targetEndpoint)
    {
        _app = app;
        _target = new Uri(targetEndpoint);
        _emulator = TestScope.SqsClient(targetEndpoint);
    }

    public string Endpoint { get; private set; } = string.Empty;

    public static async Task<SqsFront> StartAsync(string targetEndpoint)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var front = new SqsFront(app, targetEndpoint);
        app.Run(front.HandleAsync);
        await app.StartAsync();
        front.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return front;
    }

    /// <summary>While on, <paramref name="action"/> (e.g. DeleteMessageBatch) is answered with AccessDenied.</summary>
    public void Deny(string action, bool on)
    {
        if (on)
        {
            _denied[action] = 0;
        }
        else
        {
            _denied.TryRemove(action, out _);
        }
    }

    /// <summary>How many requests of <paramref name="action"/> arrived (denied ones included).</summary>
    public int Calls(string action) => _calls.GetValueOrDefault(action);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var task in _tasks.Values)
        {
            await task.Running;
        }

        _forward.Dispose();
        _emulator.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var action = target.StartsWith("AmazonSQS.", StringComparison.Ordinal) ? target["AmazonSQS.".Length..] : target;
        _calls.AddOrUpdate(action, 1, (_, n) => n + 1);
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();

        if (_denied.ContainsKey(action))
        {
            await ErrorAsync(context, 403, "com.amazon.coral.service#AccessDeniedException", "AccessDenied", $"User is not authorized to perform: sqs:{action} (denied by the test's SQS front)");
            return;
        }

        switch (action)
        {
            case "StartMessageMoveTask":
                await StartMoveTaskAsync(context, JsonNode.Parse(body)!);
                return;
            case "ListMessageMoveTasks":
                await ListMoveTasksAsync(context, JsonNode.Parse(body)!);
                return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_target, context.Request.Path + context.Request.QueryString))
        {
            Content = new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(context.Request.ContentType ?? "application/x-amz-json-1.0");
        foreach (var (name, value) in context.Request.Headers)
        {
            if (name.StartsWith("X-Amz", StringComparison.OrdinalIgnoreCase) || name.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, value.ToArray());
            }
        }

        using var response = await _forward.SendAsync(request, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        var answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (response.IsSuccessStatusCode && action is "SendMessage" or "SendMessageBatch" or "ReceiveMessage")
        {
            answer = TraceHeaders(action, JsonNode.Parse(body)!, answer);
        }

        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        await context.Response.Body.WriteAsync(answer, context.RequestAborted);
    }

    /// <summary>Keeps each sent message's AWSTraceHeader by its MessageId, and puts it on the messages a receive returns.</summary>
    private byte[] TraceHeaders(string action, JsonNode request, byte[] answer)
    {
        var response = JsonNode.Parse(answer)!;
        static string? HeaderOf(JsonNode? entry) => (string?)entry?["MessageSystemAttributes"]?["AWSTraceHeader"]?["StringValue"];
        switch (action)
        {
            case "SendMessage" when HeaderOf(request) is { } header:
                _traceHeaders[(string)response["MessageId"]!] = header;
                return answer;
            case "SendMessageBatch":
                var headers = (request["Entries"]?.AsArray() ?? []).Where(e => HeaderOf(e) is not null).ToDictionary(e => (string)e!["Id"]!, e => HeaderOf(e)!);
                foreach (var sent in response["Successful"]?.AsArray() ?? [])
                {
                    if (headers.TryGetValue((string)sent!["Id"]!, out var value))
                    {
                        _traceHeaders[(string)sent["MessageId"]!] = value;
                    }
                }

                return answer;
            case "ReceiveMessage":
                var asked = (request["MessageSystemAttributeNames"]?.AsArray() ?? []).Concat(request["AttributeNames"]?.AsArray() ?? []).Select(n => (string?)n);
                if (!asked.Any(n => n is "AWSTraceHeader" or "All") || response["Messages"] is not JsonArray messages)
                {
                    return answer;
                }

                foreach (var message in messages)
                {
                    if (_traceHeaders.TryGetValue((string)message!["MessageId"]!, out var header))
                    {
                        (message["Attributes"] ??= new JsonObject())["AWSTraceHeader"] = header;
                    }
                }

                return Encoding.UTF8.GetBytes(response.ToJsonString());
            default:
                return answer;
        }
    }

    private async Task StartMoveTaskAsync(HttpContext context, JsonNode request)
    {
        var sourceArn = (string)request["SourceArn"]!;
        var destinationArn = (string?)request["DestinationArn"]
            ?? throw new InvalidOperationException("This front moves only to an explicit DestinationArn.");
        if (_tasks.Values.Any(t => t.SourceArn == sourceArn && t.Status == "RUNNING"))
        {
            await ErrorAsync(context, 400, "com.amazonaws.sqs#UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "A move task is already running for this source.");
            return;
        }

        var handle = Guid.NewGuid().ToString("N");
        var task = new MoveTask(handle, sourceArn, destinationArn, DateTimeOffset.UtcNow);
        _tasks[handle] = task;
        task.Running = MoveAsync(task);
        await JsonAsync(context, new JsonObject { ["TaskHandle"] = handle });
    }

    /// <summary>Moves every message as SQS does: a new send of the same body and message attributes, then a delete.</summary>
    private async Task MoveAsync(MoveTask task)
    {
        try
        {
            var source = (await _emulator.GetQueueUrlAsync(QueueName(task.SourceArn))).QueueUrl;
            var destination = (await _emulator.GetQueueUrlAsync(QueueName(task.DestinationArn))).QueueUrl;
            task.ToMove = (await _emulator.GetQueueAttributesAsync(source, [QueueAttributeName.ApproximateNumberOfMessages])).ApproximateNumberOfMessages;
            while (true)
            {
                var received = await _emulator.ReceiveMessageAsync(new ReceiveMessageRequest
                {
                    QueueUrl = source,
                    MaxNumberOfMessages = 10,
                    VisibilityTimeout = 60,
                    MessageAttributeNames = ["All"],
                });
                if (received.Messages is not { Count: > 0 } messages)
                {
                    break;
                }

                foreach (var message in messages)
                {
                    await _emulator.SendMessageAsync(new SendMessageRequest
                    {
                        QueueUrl = destination,
                        MessageBody = message.Body,
                        MessageAttributes = message.MessageAttributes is { Count: > 0 } attributes ? attributes : null,
                    });
                    await _emulator.DeleteMessageAsync(source, message.ReceiptHandle);
                    Interlocked.Increment(ref task.Moved);
                }
            }

            task.Status = "COMPLETED";
        }
        catch (Exception ex)
        {
            task.FailureReason = ex.Message;
            task.Status = "FAILED";
        }
    }

    private async Task ListMoveTasksAsync(HttpContext context, JsonNode request)
    {
        var sourceArn = (string)request["SourceArn"]!;
        var results = new JsonArray();
        foreach (var task in _tasks.Values.Where(t => t.SourceArn == sourceArn).OrderByDescending(t => t.Started))
        {
            results.Add(new JsonObject
            {
                ["TaskHandle"] = task.Status == "RUNNING" ? task.Handle : null,
                ["Status"] = task.Status,
                ["SourceArn"] = task.SourceArn,
                ["DestinationArn"] = task.DestinationArn,
                ["ApproximateNumberOfMessagesMoved"] = Volatile.Read(ref task.Moved),
                ["ApproximateNumberOfMessagesToMove"] = task.ToMove,
                ["FailureReason"] = task.FailureReason,
                ["StartedTimestamp"] = task.Started.ToUnixTimeMilliseconds(),
            });
        }

        await JsonAsync(context, new JsonObject { ["Results"] = results });
    }

    private static string QueueName(string arn) => arn[(arn.LastIndexOf(':') + 1)..];

    private static async Task JsonAsync(HttpContext context, JsonNode json)
    {
        context.Response.ContentType = "application/x-amz-json-1.0";
        await context.Response.WriteAsync(json.ToJsonString());
    }

    /// <summary>An error as SQS's JSON protocol writes one: the type in the body, the query-compatible code in a header.</summary>
    private static async Task ErrorAsync(HttpContext context, int status, string type, string queryCode, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-amzn-query-error"] = queryCode + ";Sender";
        await JsonAsync(context, new JsonObject { ["__type"] = type, ["message"] = message });
    }

    private sealed class MoveTask(string handle, string sourceArn, string destinationArn, DateTimeOffset started)
    {
        public string Handle { get; } = handle;

        public string SourceArn { get; } = sourceArn;

        public string DestinationArn { get; } = destinationArn;

        public DateTimeOffset Started { get; } = started;

        public volatile string Status = "RUNNING";

        public string? FailureReason;

        public long ToMove;

        public long Moved;

        public Task Running = Task.CompletedTask;
    }
}
