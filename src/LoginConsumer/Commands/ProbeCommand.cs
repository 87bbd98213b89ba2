using System.CommandLine;
using LoginConsumer.Hosting;
using System.Globalization;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>
/// A health probe for images without curl or wget (Docker's HEALTHCHECK): GET /health/live or /health/ready on the
/// local port and exit 0 when it answers 200. The address is the one `run` listens on, found as ASP.NET Core finds it:
/// ASPNETCORE_URLS first (its first http URL, a wildcard host read as loopback), else ASPNETCORE_HTTP_PORTS, else 8080.
/// </summary>
public static class ProbeCommand
{
    public static Command Create()
    {
        var which = new Argument<string>("check") { Description = "live or ready", DefaultValueFactory = _ => "live" };
        which.AcceptOnlyFromAmong("live", "ready");
        var url = new Option<string?>("--url") { Description = "Base URL (default: where `run` listens: ASPNETCORE_URLS, else http://127.0.0.1:<ASPNETCORE_HTTP_PORTS or 8080>)." };
        var command = new Command("probe", "Exit 0 when the running consumer's /health/live (or /health/ready) answers 200.\nExample: LoginConsumer probe ready") { which, url };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetValue(url)
                ?? ListeningUrl(Environment.GetEnvironmentVariable("ASPNETCORE_URLS"), Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS"));
            if (!Uri.TryCreate(text, UriKind.Absolute, out var baseUrl))
            {
                return CommandErrors.Refuse(
                    parse.InvocationConfiguration.Error,
                    $"probe: '{text}' is not an absolute URL.",
                    "give --url as e.g. http://127.0.0.1:8080, or leave it out to use where run listens (ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS)",
                    ExitCodes.Usage);
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };
            try
            {
                using var response = await http.GetAsync(new Uri(baseUrl, "/health/" + parse.GetValue(which)), cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                await parse.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {body}")).ConfigureAwait(false);
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                await parse.InvocationConfiguration.Output.WriteLineAsync("unreachable: " + ex.Message).ConfigureAwait(false);
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    /// <summary>Where `run` listens, as a URL this host can call: ASP.NET Core's own order (URLs over ports over 8080).</summary>
    public static string ListeningUrl(string? urls, string? httpPorts)
    {
        foreach (var candidate in (urls ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!candidate.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // Kestrel's wildcard hosts (*, +, 0.0.0.0, [::]) mean every address: the probe calls loopback.
            var rest = candidate["http://".Length..];
            var colon = rest.LastIndexOf(':');
            var host = colon > 0 ? rest[..colon] : rest.TrimEnd('/');
            var port = colon > 0 ? rest[(colon + 1)..].TrimEnd('/') : "80";
            host = host is "*" or "+" or "0.0.0.0" or "[::]" or "" ? "127.0.0.1" : host;
            return "http://" + host + ":" + port;
        }

        var first = (httpPorts ?? string.Empty).Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{first ?? "8080"}");
    }
}
