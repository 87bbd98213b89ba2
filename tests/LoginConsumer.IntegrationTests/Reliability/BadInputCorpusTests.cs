using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using LoginConsumer.Sqs;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Reliability;

/// <summary>Every case of Corpus/bad-input.json through the real pipeline: each ends as its one expected row or its one error-queue message.</summary>
public sealed partial class BadInputCorpusTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task RunUntilEmpty_Corpus_EachCaseEndsAsItsExpectedRowOrErrorAndNoRawPiiIsLogged()
    {
        var cases = LoadCases();
        Assert.True(cases.Count >= 40, "the corpus must hold at least 40 cases");
        var byMessageId = new Dictionary<string, Case>();
        var firstSent = DateOnly.FromDateTime(DateTime.UtcNow);
        foreach (var c in cases)
        {
            // Keyed on the SQS id: the corpus's SNS envelopes carry no valid signature (SnsEnvelopeTests has signed ones).
            byMessageId[await _scope.SendOneAsync(c.Body)] = c;
        }

        var sentDates = (First: firstSent, Last: DateOnly.FromDateTime(DateTime.UtcNow));

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], TestScope.EverythingObservable());
        Assert.True(run.ExitCode == 0, run.Output[^Math.Min(run.Output.Length, 4000)..]);
        TestScope.AssertEverythingWasObserved(run.Output);

        var rows = (await _scope.RowsAsync()).ToDictionary(r => r.MessageId);
        var errors = (await _scope.ReceiveAllErrorsAsync()).ToDictionary(e => e.MessageAttributes[ErrorQueueSender.OriginalMessageIdAttribute].StringValue);
        var failures = new List<string>();
        foreach (var (messageId, c) in byMessageId)
        {
            var problem = c.Expected is { } expected ? CheckRow(rows, messageId, expected, sentDates) : CheckError(errors, messageId, c);
            if (rows.ContainsKey(messageId) && errors.ContainsKey(messageId))
            {
                problem = "ended both as a row and in the error queue";
            }

            if (problem is not null)
            {
                failures.Add($"{c.Name}: {problem}");
            }
        }

        var pii = RawPii(cases).Where(v => run.Output.Contains(v, StringComparison.Ordinal)
            || errors.Values.Any(e => e.MessageAttributes.Values.Any(a => a.StringValue?.Contains(v, StringComparison.Ordinal) == true))).ToList();
        output.WriteLine($"{cases.Count} cases: {rows.Count} rows, {errors.Count} error-queue messages; {run.Output.Split('\n').Length} lines of logs, spans and metrics at Trace, {pii.Count} raw ip/device_id values in them");

        Assert.Empty(failures);
        Assert.Empty(pii);
        Assert.Equal(cases.Count(c => c.Expected is not null), rows.Count);
        Assert.Equal(cases.Count(c => c.Expected is null), errors.Count);
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }

    private static string? CheckRow(Dictionary<string, StoredRow> rows, string messageId, JsonObject expected, (DateOnly First, DateOnly Last) sent)
    {
        if (!rows.TryGetValue(messageId, out var row))
        {
            return "expected a row, found none";
        }

        // create_date is the date the message was sent (SQS's SentTimestamp, UTC), whatever the body says.
        if (row.CreateDate is not { } date || date < sent.First || date > sent.Last)
        {
            return $"create_date {row.CreateDate}, sent on {sent.First}";
        }

        var ip = Expand((string?)expected["ip"]);
        var deviceId = Expand((string?)expected["device_id"]);
        var appVersion = Expand((string?)expected["app_version"]);
        var wanted = new StoredRow(
            messageId,
            Expand((string?)expected["user_id"]),
            Expand((string?)expected["device_type"]),
            TestScope.Masker.Mask(MaskedField.Ip, ip),
            TestScope.Masker.Mask(MaskedField.DeviceId, deviceId),
            Expand((string?)expected["locale"]),
            expected.ContainsKey("app_version_int") ? (int?)expected["app_version_int"] : AppVersion.Encode(appVersion),
            appVersion,
            row.CreateDate);
        return row == wanted ? null : $"stored {row}, expected {wanted}";
    }

    private static string? CheckError(Dictionary<string, Amazon.SQS.Model.Message> errors, string messageId, Case c)
    {
        if (!errors.TryGetValue(messageId, out var error))
        {
            return $"expected error {c.ErrorCode}, found none";
        }

        var code = error.MessageAttributes[ErrorQueueSender.ReasonCodeAttribute].StringValue;
        var reason = error.MessageAttributes[ErrorQueueSender.ReasonAttribute].StringValue;
        if (code != c.ErrorCode)
        {
            return $"error {code} ({reason}), expected {c.ErrorCode}";
        }

        if (error.Body != c.Body)
        {
            return "the error queue's body differs from the one sent";
        }

        return string.IsNullOrWhiteSpace(reason) ? "no reason given" : null;
    }

    /// <summary>
    /// The raw ip and device_id strings of every case, poison included, that are distinctive enough to search for:
    /// from the expected rows, and from the bodies themselves, read as text so that a body no parser accepts counts too.
    /// Values without a digit ("localhost") are left out: such words occur in any log for reasons of their own.
    /// </summary>
    private static IEnumerable<string> RawPii(IEnumerable<Case> cases) => cases
        .SelectMany(c => (c.Expected is { } e ? new[] { Expand((string?)e["ip"]), Expand((string?)e["device_id"]) } : [])
            .Concat(PiiField().Matches(c.Body).Select(m => m.Groups[1].Value)))
        .OfType<string>()
        .Where(v => v.Length >= 7 && v.Distinct().Count() > 2 && v.Any(char.IsAsciiDigit))
        .Distinct();

    private static List<Case> LoadCases()
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "bad-input.json")))!;
        return [.. document["cases"]!.AsArray().Select(node => new Case(
            (string)node!["name"]!,
            Expand((string)node["body"]!)!,
            node["row"] as JsonObject,
            (string?)node["error"]))];
    }

    private static string? Expand(string? template)
    {
        if (template is null)
        {
            return null;
        }

        var text = Token().Replace(template, m => m.Groups[1].Value switch
        {
            "x" => new string('x', int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)),
            "kana" => new string('ユ', int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)),
            "nest" => new string('[', int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
                + new string(']', int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)),
            _ => m.Value,
        });
        var pad = PadToken().Match(text);
        if (pad.Success)
        {
            var target = int.Parse(pad.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var rest = Encoding.UTF8.GetByteCount(text) - pad.Length;
            text = text.Replace(pad.Value, new string('x', target - rest), StringComparison.Ordinal);
        }

        return text;
    }

    [GeneratedRegex(@"\{(x|kana|nest):(\d+)\}")]
    private static partial Regex Token();

    [GeneratedRegex(@"\{padto:(\d+)\}")]
    private static partial Regex PadToken();

    // A field's raw string as written in the body (escapes left as they are: the logs would show them so too).
    [GeneratedRegex(@"""(?:ip|device_id)""\s*:\s*""((?:[^""\\]|\\.)*)""", RegexOptions.IgnoreCase)]
    private static partial Regex PiiField();

    private sealed record Case(string Name, string Body, JsonObject? Expected, string? ErrorCode);
}
