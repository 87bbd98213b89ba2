using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>Finds the two queues, and where allowed creates whichever is missing with the main queue's redrive policy.</summary>
public sealed partial class QueueTopology(IAmazonSQS sqs, IOptions<SqsOptions> options, IHostEnvironment environment, ILogger<QueueTopology> logger) : IDisposable
{
    private readonly SqsOptions _options = options.Value;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private QueueUrls? _urls;

    public void Dispose() => _gate.Dispose();

    /// <summary>14 days, SQS's maximum retention.</summary>
    public const string ErrorQueueRetentionSeconds = "1209600";

    public bool CreatesTopology => _options.CreateTopology ?? environment.IsDevelopment();

    /// <summary>The two queues, never creating one: what operator commands use, so a misspelt name is an error, not a new queue.</summary>
    public async Task<QueueUrls> ResolveExistingAsync(CancellationToken cancellationToken) => new(
        await GetUrlAsync(_options.QueueName, cancellationToken).ConfigureAwait(false),
        await GetUrlAsync(_options.ErrorQueueName, cancellationToken).ConfigureAwait(false));

    /// <summary>The two queues; where <see cref="CreatesTopology"/>, whichever is missing is created.</summary>
    public async Task<QueueUrls> ResolveAsync(CancellationToken cancellationToken)
    {
        if (_urls is not null)
        {
            return _urls;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _urls ??= CreatesTopology
                ? await EnsureAsync(cancellationToken).ConfigureAwait(false)
                : new QueueUrls(
                    await GetUrlAsync(_options.QueueName, cancellationToken).ConfigureAwait(false),
                    await GetUrlAsync(_options.ErrorQueueName, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> GetUrlAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;
        }
        catch (QueueDoesNotExistException ex)
        {
            throw new QueueMissingException(name, ex);
        }
    }

    private async Task<QueueUrls> EnsureAsync(CancellationToken cancellationToken)
    {
        // The longest retention SQS allows: a RedrivePolicy move keeps a message's original enqueue time, so a message that
        // waited out most of login-queue's retention in a backlog would otherwise expire soon after it was dead-lettered.
        var errorUrl = await GetOrCreateAsync(
            _options.ErrorQueueName,
            new Dictionary<string, string> { [QueueAttributeName.MessageRetentionPeriod] = ErrorQueueRetentionSeconds },
            cancellationToken).ConfigureAwait(false);
        var errorArn = (await sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest { QueueUrl = errorUrl, AttributeNames = [QueueAttributeName.QueueArn] },
            cancellationToken).ConfigureAwait(false)).QueueARN;
        var redrivePolicy = new JsonObject
        {
            ["deadLetterTargetArn"] = errorArn,
            ["maxReceiveCount"] = _options.MaxReceiveCount.ToString(CultureInfo.InvariantCulture),
        }.ToJsonString();

        var mainUrl = await GetOrCreateAsync(
            _options.QueueName,
            new Dictionary<string, string>
            {
                [QueueAttributeName.RedrivePolicy] = redrivePolicy,
                [QueueAttributeName.VisibilityTimeout] = _options.VisibilityTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            },
            cancellationToken).ConfigureAwait(false);

        var current = await sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest { QueueUrl = mainUrl, AttributeNames = [QueueAttributeName.RedrivePolicy] },
            cancellationToken).ConfigureAwait(false);
        if (current.Attributes?.ContainsKey(QueueAttributeName.RedrivePolicy) != true)
        {
            await sqs.SetQueueAttributesAsync(mainUrl, new Dictionary<string, string> { [QueueAttributeName.RedrivePolicy] = redrivePolicy }, cancellationToken)
                .ConfigureAwait(false);
            LogRedrivePolicySet(_options.QueueName, _options.MaxReceiveCount);
        }

        return new QueueUrls(mainUrl, errorUrl);
    }

    private async Task<string> GetOrCreateAsync(string name, Dictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        try
        {
            return (await sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;
        }
        catch (QueueDoesNotExistException)
        {
            var created = await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, cancellationToken)
                .ConfigureAwait(false);
            LogQueueCreated(name);
            return created.QueueUrl;
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Created SQS queue {QueueName}")]
    private partial void LogQueueCreated(string queueName);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Set the redrive policy of {QueueName}: maxReceiveCount {MaxReceiveCount}")]
    private partial void LogRedrivePolicySet(string queueName, int maxReceiveCount);
}
