namespace LoginConsumer.Sqs;

/// <summary>SQS answered that a queue the settings name does not exist: waiting cannot mend it.</summary>
public sealed class QueueMissingException(string queueName, Exception innerException)
    : Exception($"SQS queue '{queueName}' does not exist", innerException)
{
    public string QueueName { get; } = queueName;
}
