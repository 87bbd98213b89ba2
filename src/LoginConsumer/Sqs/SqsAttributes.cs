using System.Globalization;
using Amazon.SQS.Model;

namespace LoginConsumer.Sqs;

/// <summary>Reads the system attributes every receive asks for. SDK v4 leaves <c>Attributes</c> null when there are none.</summary>
public static class SqsAttributes
{
    public const string SentTimestampName = "SentTimestamp";
    public const string ReceiveCountName = "ApproximateReceiveCount";

    public static long? SentTimestamp(Message message) =>
        message.Attributes?.TryGetValue(SentTimestampName, out var value) == true
        && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : null;

    public static int ReceiveCount(Message message) =>
        message.Attributes?.TryGetValue(ReceiveCountName, out var value) == true
        && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 1;
}
