namespace LoginConsumer.Sqs;

/// <summary>
/// One received message as the processor sees it: its body with transport wrappings removed, and the facts the
/// transport vouches for. The receipt handle stays with the lease.
/// </summary>
public sealed record IncomingMessage(string SqsMessageId, string RowKey, long SentTimestampMs, int ReceiveCount, string Body);
