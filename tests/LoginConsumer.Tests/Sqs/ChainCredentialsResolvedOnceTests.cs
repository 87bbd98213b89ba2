using Amazon.Runtime;
using LoginConsumer.Sqs;

namespace LoginConsumer.Tests.Sqs;

public sealed class ChainCredentialsResolvedOnceTests
{
    [Fact]
    public async Task GetCredentials_ManyRequests_WalksTheChainOnce()
    {
        var walks = 0;
        var credentials = new ChainCredentialsResolvedOnce(() =>
        {
            walks++;
            return new BasicAWSCredentials("AKIDEXAMPLE", "secret");
        });

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("AKIDEXAMPLE", credentials.GetCredentials().AccessKey);
            Assert.Equal("AKIDEXAMPLE", (await credentials.GetCredentialsAsync()).AccessKey);
        }

        Assert.Equal(1, walks);
    }

    [Fact]
    public void GetCredentials_ChainFailsAtFirst_FailsThatRequestAndWalksItAgainOnTheNext()
    {
        var walks = 0;
        var credentials = new ChainCredentialsResolvedOnce(() => ++walks == 1
            ? throw new AmazonClientException("no credentials yet")
            : new BasicAWSCredentials("AKIDLATER", "secret"));

        Assert.Throws<AmazonClientException>(() => credentials.GetCredentials());
        Assert.Equal("AKIDLATER", credentials.GetCredentials().AccessKey);
        Assert.Equal(2, walks);
    }

    [Fact]
    public async Task GetCredentials_OtherThanEnvironmentVariables_AreAskedEveryTimeSoRefreshingOnesCanRenew()
    {
        var inner = new CountingCredentials();
        var credentials = new ChainCredentialsResolvedOnce(() => inner);

        credentials.GetCredentials();
        await credentials.GetCredentialsAsync();
        credentials.GetCredentials();

        Assert.Equal(3, inner.Asked);
    }

    [Fact]
    public async Task GetCredentials_FromEnvironmentVariables_ReadsThemOnce()
    {
        var saved = (Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"), Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"));
        try
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "secret");
            var credentials = new ChainCredentialsResolvedOnce(() => new EnvironmentVariablesAWSCredentials());
            Assert.Equal("AKIDFROMENV", credentials.GetCredentials().AccessKey);

            // The SDK's own EnvironmentVariablesAWSCredentials would read the variable again and see this.
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "AKIDCHANGED");

            Assert.Equal("AKIDFROMENV", credentials.GetCredentials().AccessKey);
            Assert.Equal("AKIDFROMENV", (await credentials.GetCredentialsAsync()).AccessKey);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", saved.Item1);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", saved.Item2);
        }
    }

    /// <summary>Stands for web identity, container or instance-role credentials, which renew themselves when asked.</summary>
    private sealed class CountingCredentials : AWSCredentials
    {
        public int Asked { get; private set; }

        public override ImmutableCredentials GetCredentials()
        {
            Asked++;
            return new ImmutableCredentials("AKIDREFRESHING", "secret", "token");
        }

        public override Task<ImmutableCredentials> GetCredentialsAsync()
        {
            Asked++;
            return Task.FromResult(new ImmutableCredentials("AKIDREFRESHING", "secret", "token"));
        }
    }
}
