using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LoginConsumer.Telemetry;

/// <summary>
/// Routes the AWS SDK's own logging into ILogger category "Amazon" when that category is at Debug or below.
/// Response bodies are never logged (they hold the raw messages); request metrics are logged at Trace.
/// </summary>
public static partial class AwsSdkLogging
{
    private static int _configured;

    public static void Configure(ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("Amazon");
        Amazon.AWSConfigs.LoggingConfig.LogResponses = Amazon.ResponseLoggingOption.Never;
        if (!logger.IsEnabled(LogLevel.Debug) || Interlocked.Exchange(ref _configured, 1) == 1)
        {
            return;
        }

        Amazon.AWSConfigs.LoggingConfig.LogMetrics = logger.IsEnabled(LogLevel.Trace);
        Amazon.AWSConfigs.LoggingConfig.LogTo = Amazon.LoggingOptions.SystemDiagnostics;
        Amazon.AWSConfigs.AddTraceListener("Amazon", new LoggerTraceListener(logger));
    }

    [LoggerMessage(EventId = 1701, Level = LogLevel.Debug, Message = "{SdkMessage}")]
    private static partial void LogSdk(ILogger logger, string sdkMessage);

    private sealed class LoggerTraceListener(ILogger logger) : TraceListener
    {
        // The SDK traces through TraceSource: one TraceEvent per message, without the "source type: id :" header.
        public override void TraceEvent(TraceEventCache? eventCache, string source, TraceEventType eventType, int id, string? message) => Write(message);

        public override void TraceEvent(TraceEventCache? eventCache, string source, TraceEventType eventType, int id, string? format, params object?[]? args) =>
            Write(args is { Length: > 0 } && format is not null ? string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args) : format);

        public override void Write(string? message)
        {
            if (!string.IsNullOrWhiteSpace(message))
            {
                LogSdk(logger, message);
            }
        }

        public override void WriteLine(string? message) => Write(message);
    }
}
