using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Sqs;

/// <summary>
/// Whether an SNS envelope was written by SNS: its Signature must verify (SignatureVersion 1: SHA1withRSA, 2:
/// SHA256withRSA) over the notification's fields against the certificate at SigningCertURL, and that URL must be an
/// https URL of a .pem on SNS's own host for a region (sns.&lt;region&gt;.amazonaws.com). Certificates are fetched
/// once per URL and kept; with <see cref="SqsOptions.SnsCertificateDirectory"/> set they are read from there instead
/// (a host without a route to SNS), by the URL's file name. Only a verified envelope's MessageId may key a row.
/// </summary>
public sealed partial class SnsSignatureVerifier(IOptions<SqsOptions> options, ILogger<SnsSignatureVerifier> logger) : IDisposable
{
    private const int MaxCachedCertificates = 64;

    private readonly SqsOptions _options = options.Value;
    private readonly HttpClient _http = new() { Timeout = options.Value.CallTimeout };
    private readonly ConcurrentDictionary<string, Lazy<Task<X509Certificate2>>> _certificates = new(StringComparer.Ordinal);

    /// <summary>
    /// True when SNS signed <paramref name="envelope"/>. False for anything a producer could have written. Throws when
    /// the certificate cannot be had now: the caller cannot tell, so it must neither trust nor distrust the envelope.
    /// </summary>
    public async ValueTask<bool> IsAuthenticAsync(SnsEnvelope envelope, CancellationToken cancellationToken)
    {
        var hash = envelope.SignatureVersion switch
        {
            "1" => HashAlgorithmName.SHA1,
            "2" => HashAlgorithmName.SHA256,
            _ => default,
        };
        if (hash == default || envelope.MessageId.Length == 0 || envelope.Timestamp.Length == 0 || !IsSnsCertificateUrl(envelope.SigningCertUrl))
        {
            return false;
        }

        var signature = new byte[envelope.Signature.Length];
        if (!Convert.TryFromBase64String(envelope.Signature, signature, out var length))
        {
            return false;
        }

        var certificate = await CertificateAsync(envelope.SigningCertUrl, cancellationToken).ConfigureAwait(false);
        using var key = certificate.GetRSAPublicKey();
        return key is not null
            && key.VerifyData(Encoding.UTF8.GetBytes(envelope.StringToSign()), signature.AsSpan(0, length), hash, RSASignaturePadding.Pkcs1);
    }

    /// <summary>An https URL of a .pem file on SNS's host for a region, with nothing else in it (no port, user or query).</summary>
    public static bool IsSnsCertificateUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttps
        && uri.IsDefaultPort
        && string.IsNullOrEmpty(uri.UserInfo)
        && string.IsNullOrEmpty(uri.Query)
        && string.IsNullOrEmpty(uri.Fragment)
        && SnsHost().IsMatch(uri.Host)
        && uri.AbsolutePath.EndsWith(".pem", StringComparison.Ordinal);

    public void Dispose()
    {
        _http.Dispose();
        foreach (var entry in _certificates.Values)
        {
            if (entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
            {
                entry.Value.Result.Dispose();
            }
        }
    }

    private async Task<X509Certificate2> CertificateAsync(string url, CancellationToken cancellationToken)
    {
        if (_certificates.Count >= MaxCachedCertificates && !_certificates.ContainsKey(url))
        {
            // SNS rotates its certificate rarely; a flood of distinct URLs is not SNS. Start over rather than grow.
            _certificates.Clear();
        }

        var entry = _certificates.GetOrAdd(url, u => new Lazy<Task<X509Certificate2>>(() => LoadAsync(u)));
        try
        {
            return await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed fetch is not kept: the next message tries again.
            _certificates.TryRemove(new KeyValuePair<string, Lazy<Task<X509Certificate2>>>(url, entry));
            throw;
        }
    }

    private async Task<X509Certificate2> LoadAsync(string url)
    {
        string pem;
        if (!string.IsNullOrEmpty(_options.SnsCertificateDirectory))
        {
            var path = Path.Combine(_options.SnsCertificateDirectory, Path.GetFileName(new Uri(url).AbsolutePath));
            pem = await File.ReadAllTextAsync(path, CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            pem = await _http.GetStringAsync(new Uri(url), CancellationToken.None).ConfigureAwait(false);
        }

        var certificate = X509Certificate2.CreateFromPem(pem);
        LogCertificateLoaded(url, certificate.Subject, certificate.NotAfter);
        return certificate;
    }

    [GeneratedRegex(@"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")]
    private static partial Regex SnsHost();

    [LoggerMessage(EventId = 1220, Level = LogLevel.Information, Message = "Loaded SNS signing certificate {Url} ({Subject}, valid until {NotAfter})")]
    private partial void LogCertificateLoaded(string url, string subject, DateTime notAfter);
}
