using System.Net;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Sqs;

/// <summary>
/// The one way this service calls SQS. Every attempt has its own timeout, so a connection that hangs costs one attempt,
/// not the loop that made it. Failures are judged by outcome: SQS answered that the request itself is wrong (a 4xx
/// other than throttling) is final; anything else (no answer, a reset, a refusal, a timeout, a 5xx, throttling) is
/// tried again after a jittered, growing delay until the attempts or the budget run out, and then the last failure is
/// thrown. The caller's own cancellation ends it at once.
/// </summary>
public sealed partial class SqsCallPolicy(IOptions<SqsOptions> options, TimeProvider time, ILogger<SqsCallPolicy> logger)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    private readonly SqsOptions _options = options.Value;

    /// <summary>How long one attempt may take when the call names no timeout of its own.</summary>
    public TimeSpan CallTimeout => _options.CallTimeout;

    /// <summary>Runs <paramref name="call"/> with the default attempts and per-attempt timeout.</summary>
    public Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RunAsync(operation, call, new SqsCall(_options.CallAttempts, _options.CallTimeout, TimeSpan.MaxValue), cancellationToken);

    public async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> call, SqsCall limits, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(limits.Timeout);
            try
            {
                // WaitAsync as well: an attempt that ignores its token still ends for us when the timeout does.
                return await call(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsTransient(ex))
            {
                var delay = Backoff(attempt);
                var failure = Describe(ex);
                if (attempt >= limits.Attempts || time.GetElapsedTime(started) + delay > limits.Budget)
                {
                    // A single-attempt call's caller says what it does next; only a series given up is worth a line here.
                    if (attempt > 1)
                    {
                        LogGaveUp(operation, attempt, failure);
                    }

                    throw;
                }

                LogRetrying(operation, attempt, delay, failure);

                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Final only when SQS itself answered that this request can never succeed (4xx: a bad receipt handle, a missing
    /// queue, a malformed request). Throttling (429, or a 4xx whose code says so) and request timeouts are transient.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        AmazonServiceException { StatusCode: var status } service when (int)status is >= 400 and < 500 =>
            status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
            || service.ErrorCode?.Contains("Throttl", StringComparison.OrdinalIgnoreCase) == true,
        _ => true,
    };

    /// <summary>The pause before another attempt of an SQS call (and of anything that waits on SQS): 200 ms doubling to 5 s, jittered.</summary>
    public static readonly Backoff Retry = new(FirstDelay, MaxDelay);

    public static TimeSpan Backoff(int attempt) => Retry.For(attempt);

    /// <summary>What went wrong, for a log line: the type and, for an SQS answer, its code. Never a message text, which can quote a request.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        AmazonServiceException { ErrorCode: { Length: > 0 } code } service => $"{service.GetType().Name} {code} ({(int)service.StatusCode})",
        _ => exception.GetType().Name,
    };

    [LoggerMessage(EventId = 1703, Level = LogLevel.Debug, Message = "{Operation} attempt {Attempt} failed ({Failure}); trying again in {Delay}")]
    private partial void LogRetrying(string operation, int attempt, TimeSpan delay, string failure);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "{Operation} failed {Attempts} times ({Failure}); giving up this call")]
    private partial void LogGaveUp(string operation, int attempts, string failure);
}
