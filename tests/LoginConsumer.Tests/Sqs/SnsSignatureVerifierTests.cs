using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Tests.Sqs;

/// <summary>SNS's documented verification: the signed fields, both signature versions, and where a certificate may come from.</summary>
public sealed class SnsSignatureVerifierTests : IDisposable
{
    private const string CertificateUrl = "https://sns.eu-north-1.amazonaws.com/SimpleNotificationService-unit.pem";

    private readonly RSA _key = RSA.Create(2048);
    private readonly string _directory = Directory.CreateTempSubdirectory("lc-sns-unit-").FullName;
    private readonly SnsSignatureVerifier _verifier;

    public SnsSignatureVerifierTests()
    {
        var request = new CertificateRequest("CN=sns.amazonaws.com", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(_directory, "SimpleNotificationService-unit.pem"), certificate.ExportCertificatePem());
        _verifier = new SnsSignatureVerifier(Options.Create(new SqsOptions { SnsCertificateDirectory = _directory }), NullLogger<SnsSignatureVerifier>.Instance);
    }

    public void Dispose()
    {
        _verifier.Dispose();
        _key.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public async Task IsAuthentic_SignedBySnsKey_IsTrue(string version) => Assert.True(await _verifier.IsAuthenticAsync(Signed(version, subject: null), CancellationToken.None));

    [Fact]
    public async Task IsAuthentic_WithASubject_CoversTheSubject()
    {
        var envelope = Signed("2", subject: "logins");
        Assert.True(await _verifier.IsAuthenticAsync(envelope, CancellationToken.None));
        Assert.False(await _verifier.IsAuthenticAsync(envelope with { Subject = "other" }, CancellationToken.None));
    }

    [Fact]
    public async Task IsAuthentic_AnyFieldChangedAfterSigning_IsFalse()
    {
        var envelope = Signed("2", subject: null);
        Assert.False(await _verifier.IsAuthenticAsync(envelope with { Message = "{\"user_id\": \"someone else\"}" }, CancellationToken.None));
        Assert.False(await _verifier.IsAuthenticAsync(envelope with { MessageId = "another" }, CancellationToken.None));
        Assert.False(await _verifier.IsAuthenticAsync(envelope with { SignatureVersion = "3" }, CancellationToken.None));
        Assert.False(await _verifier.IsAuthenticAsync(envelope with { Signature = "not base64!" }, CancellationToken.None));
    }

    [Fact]
    public async Task IsAuthentic_CertificateUrlOffSnsHost_IsFalseWithoutFetching() =>
        Assert.False(await _verifier.IsAuthenticAsync(Signed("2", subject: null) with { SigningCertUrl = "https://evil.example/SimpleNotificationService-unit.pem" }, CancellationToken.None));

    [Theory]
    [InlineData("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", true)]
    [InlineData("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", true)]
    [InlineData("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", false)]
    [InlineData("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", false)]
    [InlineData("https://sns.us-east-1.amazonaws.com:8443/x.pem", false)]
    [InlineData("https://user@sns.us-east-1.amazonaws.com/x.pem", false)]
    [InlineData("https://sns.us-east-1.amazonaws.com/x.pem?y=1", false)]
    [InlineData("https://sqs.us-east-1.amazonaws.com/x.pem", false)]
    [InlineData("https://sns.us-east-1.amazonaws.com/x.crt", false)]
    [InlineData("not a url", false)]
    public void IsSnsCertificateUrl_OnlySnsOwnHost(string url, bool expected) => Assert.Equal(expected, SnsSignatureVerifier.IsSnsCertificateUrl(url));

    [Fact]
    public async Task IsAuthentic_CertificateOutOfReach_Throws() =>
        await Assert.ThrowsAnyAsync<IOException>(async () => await _verifier.IsAuthenticAsync(
            Signed("2", subject: null) with { SigningCertUrl = "https://sns.eu-north-1.amazonaws.com/SimpleNotificationService-missing.pem" }, CancellationToken.None));

    private SnsEnvelope Signed(string version, string? subject)
    {
        var envelope = new SnsEnvelope("{\"user_id\": \"u1\"}", "id-1", "arn:aws:sns:eu-north-1:123456789012:logins", subject, "2026-12-03T07:00:00.000Z", version, string.Empty, CertificateUrl);
        var hash = version == "1" ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;
        return envelope with { Signature = Convert.ToBase64String(_key.SignData(Encoding.UTF8.GetBytes(envelope.StringToSign()), hash, RSASignaturePadding.Pkcs1)) };
    }
}
