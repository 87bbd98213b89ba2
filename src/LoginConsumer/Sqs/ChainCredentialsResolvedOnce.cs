using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace LoginConsumer.Sqs;

/// <summary>
/// The SDK's default credentials chain (environment variables, web identity / IRSA, profile, container or instance
/// role), walked once, on first use, rather than checked again on every request.
/// Without explicit credentials the SDK checks per request whether any credentials environment variable changed.
/// Credentials that came from environment variables re-read those variables on every request.
/// Both together were 1.3% of a warm drain's CPU samples.
/// The environment of a running process does not change, so environment-variable credentials are read once.
/// Credentials that expire (web identity, container and instance roles) keep refreshing themselves.
/// If the chain fails (no credentials yet), the next request walks it again instead of remembering the failure.
/// </summary>
public sealed class ChainCredentialsResolvedOnce : AWSCredentials
{
    private readonly Lazy<AWSCredentials> _resolved;

    public ChainCredentialsResolvedOnce(IClientConfig config)
        : this(() => DefaultAWSCredentialsIdentityResolver.GetCredentials(config))
    {
    }

    internal ChainCredentialsResolvedOnce(Func<AWSCredentials> resolve)
    {
        _resolved = new Lazy<AWSCredentials>(
            () => resolve() switch
            {
                EnvironmentVariablesAWSCredentials fromEnvironment => new Fixed(fromEnvironment.GetCredentials()),
                var other => other,
            },
            LazyThreadSafetyMode.PublicationOnly);
    }

    public override ImmutableCredentials GetCredentials() => _resolved.Value.GetCredentials();

    public override Task<ImmutableCredentials> GetCredentialsAsync() => _resolved.Value.GetCredentialsAsync();

    /// <summary>Credentials read once from the environment, which does not change while the process runs.</summary>
    private sealed class Fixed(ImmutableCredentials credentials) : AWSCredentials
    {
        private readonly Task<ImmutableCredentials> _completed = Task.FromResult(credentials);

        public override ImmutableCredentials GetCredentials() => credentials;

        public override Task<ImmutableCredentials> GetCredentialsAsync() => _completed;
    }
}
