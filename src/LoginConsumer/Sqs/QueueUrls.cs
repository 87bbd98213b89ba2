namespace LoginConsumer.Sqs;

public sealed record QueueUrls(string Main, string Error);
