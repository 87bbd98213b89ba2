using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>
/// Writes SNS notification envelopes as SNS signs them (SignatureVersion 2: SHA256withRSA over the notification's fields,
/// each name and value on a line of its own), with a test certificate that the consumer reads from
/// <see cref="CertificateDirectory"/> (Sqs:SnsCertificateDirectory) under the file name of a SigningCertURL on SNS's host.
/// </summary>
public sealed class SnsSigner : IDisposable
{
    public const string TopicArn = "arn:aws:sns:us-east-1:123456789012:logins";
    public const string CertificateUrl = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem";

    private readonly RSA _key = RSA.Create(2048);

    public SnsSigner()
    {
        CertificateDirectory = Directory.CreateTempSubdirectory("lc-sns-").FullName;
        var request = new CertificateRequest("CN=sns.amazonaws.com", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(CertificateDirectory, "SimpleNotificationService-test.pem"), certificate.ExportCertificatePem());
    }

    public string CertificateDirectory { get; }

    /// <summary>An envelope around <paramref name="message"/>; unsigned ones are what any producer can write by hand.</summary>
    public string Envelope(string messageId, string message, bool withSignature)
    {
        const string timestamp = "2026-12-03T07:00:00.000Z";
        var fields = new Dictionary<string, string>
        {
            ["Type"] = "Notification",
            ["MessageId"] = messageId,
            ["TopicArn"] = TopicArn,
            ["Message"] = message,
            ["Timestamp"] = timestamp,
            ["SignatureVersion"] = "2",
            ["SigningCertURL"] = CertificateUrl,
        };
        var stringToSign = $"Message\n{message}\nMessageId\n{messageId}\nTimestamp\n{timestamp}\nTopicArn\n{TopicArn}\nType\nNotification\n";
        fields["Signature"] = withSignature
            ? Convert.ToBase64String(_key.SignData(Encoding.UTF8.GetBytes(stringToSign), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            : Convert.ToBase64String(new byte[256]);
        return JsonSerializer.Serialize(fields);
    }

    public void Dispose()
    {
        _key.Dispose();
        Directory.Delete(CertificateDirectory, recursive: true);
    }
}
