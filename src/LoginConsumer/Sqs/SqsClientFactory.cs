using Amazon.SQS;

namespace LoginConsumer.Sqs;

/// <summary>
/// The SQS client, configured by the SDK's standard chain (AWS_ENDPOINT_URL_SQS, AWS_REGION, credentials, …) and
/// nothing else: credentials, their refresh and request signing stay the SDK's own, so an SDK upgrade changes them
/// as its authors intend.
/// </summary>
public static class SqsClientFactory
{
    // Retries are SqsCallPolicy's alone: the SDK's own would run inside one of its attempts, multiplying both.
    public static AmazonSQSClient Create() => new(new AmazonSQSConfig { MaxErrorRetry = 0 });
}
