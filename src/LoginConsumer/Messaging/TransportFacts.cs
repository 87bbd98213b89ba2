namespace LoginConsumer.Messaging;

/// <summary>
/// What the transport vouches for about one message: the key its row is stored under, when it was first sent, and how
/// often it has been received. Nothing here comes from the body.
/// </summary>
public sealed record TransportFacts(string RowKey, long SentTimestampMs, int ReceiveCount);
