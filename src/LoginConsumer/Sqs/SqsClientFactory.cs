using Amazon.Runtime;
using Amazon.SQS;
using Amazon.Util;

namespace LoginConsumer.Sqs;

/// <summary>
/// The SQS client, configured by the SDK's standard chain (AWS_ENDPOINT_URL_SQS, AWS_REGION, credentials, …).
/// With an endpoint override (the emulator, a VPC endpoint) and no signing region of its own, the SDK works the
/// signing region out of the endpoint URL again for every request it signs: 1.6% of the CPU samples of a warm
/// drain. The same answer (the URL's region, else the configured region) is worked out once here instead.
/// Credentials come from the same chain, walked once (<see cref="ChainCredentialsResolvedOnce"/>).
/// </summary>
public static class SqsClientFactory
{
    public static AmazonSQSClient Create()
    {
        // Retries are SqsCallPolicy's alone: the SDK's own would run inside one of its attempts, multiplying both.
        var config = new AmazonSQSConfig { MaxErrorRetry = 0 };
        return Create(new ChainCredentialsResolvedOnce(config), config);
    }

    internal static AmazonSQSClient Create(AWSCredentials credentials, AmazonSQSConfig config)
    {
        var client = new AmazonSQSClient(credentials, config);
        PinSigningRegion(config);
        return client;
    }

    /// <summary>Sets the signing region the SDK would derive per request, when it would derive it from the endpoint URL.</summary>
    internal static void PinSigningRegion(ClientConfig config)
    {
        if (string.IsNullOrEmpty(config.ServiceURL) || !string.IsNullOrEmpty(config.AuthenticationRegion))
        {
            return;
        }

        var fromUrl = AWSSDKUtils.DetermineRegion(config.ServiceURL);
        var region = !string.IsNullOrEmpty(fromUrl) ? fromUrl : config.RegionEndpoint?.SystemName;
        if (!string.IsNullOrEmpty(region))
        {
            config.AuthenticationRegion = region.ToLowerInvariant();
        }
    }
}
