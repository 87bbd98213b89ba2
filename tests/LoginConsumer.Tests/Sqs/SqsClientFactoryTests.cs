using Amazon;
using Amazon.Runtime.Internal.Auth;
using Amazon.SQS;
using LoginConsumer.Sqs;

namespace LoginConsumer.Tests.Sqs;

public sealed class SqsClientFactoryTests
{
    [Theory]
    [InlineData("http://127.0.0.1:4566", "us-east-1")] // the SDK's own fallback for a URL that names no region
    [InlineData("https://sqs.us-east-2.amazonaws.com", "us-east-2")]
    [InlineData("https://vpce-0a1b2c3d-abcdefgh.sqs.ap-southeast-2.vpce.amazonaws.com", "ap-southeast-2")]
    public void PinSigningRegion_EndpointOverride_SignsWithTheRegionTheSdkWouldDeriveEachTime(string serviceUrl, string expected)
    {
        var config = new AmazonSQSConfig { ServiceURL = serviceUrl };
        var perRequest = AWS4Signer.DetermineSigningRegion(config, config.RegionEndpointServiceName, null, null);

        SqsClientFactory.PinSigningRegion(config);

        Assert.Equal(expected, config.AuthenticationRegion);
        Assert.Equal(perRequest, AWS4Signer.DetermineSigningRegion(config, config.RegionEndpointServiceName, null, null));
    }

    [Fact]
    public void PinSigningRegion_NoEndpointOverride_LeavesTheSdkToTheRegionEndpoint()
    {
        var config = new AmazonSQSConfig { RegionEndpoint = RegionEndpoint.USWest2 };

        SqsClientFactory.PinSigningRegion(config);

        Assert.Null(config.AuthenticationRegion);
    }

    [Fact]
    public void PinSigningRegion_SigningRegionAlreadySet_IsKept()
    {
        var config = new AmazonSQSConfig { ServiceURL = "http://127.0.0.1:4566", AuthenticationRegion = "us-gov-west-1" };

        SqsClientFactory.PinSigningRegion(config);

        Assert.Equal("us-gov-west-1", config.AuthenticationRegion);
    }
}
