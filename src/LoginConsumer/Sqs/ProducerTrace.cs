using System.Diagnostics;
using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>
/// The producer's trace, so that a consumer span can link to it (OpenTelemetry's messaging conventions: a process
/// span links to the context the message was created in). Two carriers: a W3C <c>traceparent</c> message attribute
/// (with <c>tracestate</c>), which OpenTelemetry's SQS instrumentation writes, and the <c>AWSTraceHeader</c> system
/// attribute, which X-Ray and SNS write (<c>Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled=0|1</c>). Both are set
/// by the producer: a value that does not parse, or is longer than the formats allow, is ignored, never an error.
/// </summary>
public static class ProducerTrace
{
    public const string TraceParentName = "traceparent";
    public const string TraceStateName = "tracestate";
    public const string AwsTraceHeaderName = "AWSTraceHeader";

    // W3C allows tracestate up to 32 members of 256 characters; X-Ray's header with its optional fields stays well short.
    private const int MaxTraceStateLength = 512;
    private const int MaxAwsHeaderLength = 256;

    /// <summary>The links for a message's process span: none, one, or two when the carriers name different spans.</summary>
    public static IEnumerable<ActivityLink> LinksOf(Message message)
    {
        var fromW3C = FromTraceParent(
            message.MessageAttributes?.GetValueOrDefault(TraceParentName)?.StringValue,
            message.MessageAttributes?.GetValueOrDefault(TraceStateName)?.StringValue);
        var fromAws = FromAwsTraceHeader(message.Attributes?.GetValueOrDefault(AwsTraceHeaderName));
        if (fromW3C is { } w3c)
        {
            yield return new ActivityLink(w3c);
        }

        if (fromAws is { } aws && (fromW3C is not { } other || other.TraceId != aws.TraceId || other.SpanId != aws.SpanId))
        {
            yield return new ActivityLink(aws);
        }
    }

    public static ActivityContext? FromTraceParent(string? traceParent, string? traceState)
    {
        if (traceParent is not { Length: 55 })
        {
            return null;
        }

        var state = traceState is { Length: > 0 and <= MaxTraceStateLength } ? traceState : null;
        return ActivityContext.TryParse(traceParent, state, isRemote: true, out var context) ? context : null;
    }

    public static ActivityContext? FromAwsTraceHeader(string? header)
    {
        if (header is not { Length: > 0 and <= MaxAwsHeaderLength })
        {
            return null;
        }

        string? root = null, parent = null, sampled = null;
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var value = part[(equals + 1)..];
            switch (part[..equals])
            {
                case "Root": root = value; break;
                case "Parent": parent = value; break;
                case "Sampled": sampled = value; break;
            }
        }

        // X-Ray's trace id 1-5759e988-bd862e3fe1be46a994272793 is W3C's 5759e988bd862e3fe1be46a994272793.
        if (root is not { Length: 35 } || !root.StartsWith("1-", StringComparison.Ordinal) || root[10] != '-' || parent is not { Length: 16 })
        {
            return null;
        }

        var traceId = string.Concat(root.AsSpan(2, 8), root.AsSpan(11, 24));
        if (!IsLowerHex(traceId) || !IsLowerHex(parent) || traceId.All(c => c == '0') || parent.All(c => c == '0'))
        {
            return null;
        }

        return new ActivityContext(
            ActivityTraceId.CreateFromString(traceId),
            ActivitySpanId.CreateFromString(parent),
            sampled == "1" ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None,
            isRemote: true);
    }

    private static bool IsLowerHex(string text) => text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
