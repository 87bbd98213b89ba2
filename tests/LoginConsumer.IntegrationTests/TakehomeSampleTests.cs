using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Masking;
using LoginConsumer.Sqs;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.IntegrationTests;

public sealed class TakehomeSampleTests : IAsyncLifetime
{
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task RunUntilEmpty_OriginalSample_Stores99RowsAndDeadLettersTheMalformedOne()
    {
        var sample = await ReadSampleAsync();
        Assert.Equal(100, sample.Count);
        var bodies = sample.Select(x => x.ToJsonString()).ToList();
        await _scope.SendAsync(bodies);

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], TestScope.EverythingObservable());

        Assert.True(run.ExitCode == 0, run.Output[^Math.Min(run.Output.Length, 4000)..]);
        TestScope.AssertEverythingWasObserved(run.Output);
        // A drain that ends as it should leaves no background loop reported as dead on the way out.
        Assert.DoesNotContain("crit:", run.Output, StringComparison.Ordinal);
        var rows = (await _scope.RowsAsync()).ToDictionary(r => r.MaskedIp + "|" + r.UserId);
        var logins = sample.OfType<JsonObject>().Where(x => x.ContainsKey("user_id")).ToList();
        Assert.Equal(99, logins.Count);
        Assert.Equal(99, rows.Count);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        foreach (var login in logins)
        {
            var ip = (string?)login["ip"];
            var expectedIp = ip is null ? null : TestScope.Masker.Mask(MaskedField.Ip, ip);
            var row = rows[expectedIp + "|" + (string?)login["user_id"]];
            Assert.Equal((string?)login["device_type"], row.DeviceType);
            Assert.Equal((string?)login["locale"], row.Locale);
            Assert.Equal((string?)login["app_version"], row.AppVersionText);
            Assert.Equal(LoginConsumer.Messaging.AppVersion.Encode((string?)login["app_version"]), row.AppVersion);
            Assert.Equal(TestScope.Masker.Mask(MaskedField.DeviceId, (string?)login["device_id"]), row.MaskedDeviceId);
            Assert.InRange(row.CreateDate!.Value, today.AddDays(-1), today);
        }

        var raw = logins.SelectMany(x => new[] { (string?)x["ip"], (string?)x["device_id"] }).OfType<string>().ToList();
        var stored = string.Join("\n", rows.Values.Select(r => r.ToString()));
        Assert.All(raw, value => Assert.DoesNotContain(value, stored, StringComparison.Ordinal));
        // Logs, exception messages, spans and metric points (all at Trace), and the error queue's attributes.
        Assert.DoesNotContain(raw, value => run.Output.Contains(value, StringComparison.Ordinal));

        var error = Assert.Single(await _scope.ReceiveAllErrorsAsync());
        Assert.DoesNotContain(raw, value => error.MessageAttributes.Values.Any(a => a.StringValue?.Contains(value, StringComparison.Ordinal) == true));
        Assert.Equal("""{"foo":"oops_wrong_msg_type","bar":"123"}""", error.Body);
        Assert.Equal("not_login_event", error.MessageAttributes[ErrorQueueSender.ReasonCodeAttribute].StringValue);
        Assert.Contains("user_id", error.MessageAttributes[ErrorQueueSender.ReasonAttribute].StringValue, StringComparison.Ordinal);
        Assert.Equal("1", error.MessageAttributes[ErrorQueueSender.ReceiveCountAttribute].StringValue);
        Assert.False(string.IsNullOrEmpty(error.MessageAttributes[ErrorQueueSender.OriginalMessageIdAttribute].StringValue));
        Assert.Contains("PoisonMessageException", error.MessageAttributes[ErrorQueueSender.ExceptionTypeAttribute].StringValue, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(error.MessageAttributes[ErrorQueueSender.TimestampAttribute].StringValue, out _));
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }

    private static async Task<List<JsonNode>> ReadSampleAsync()
    {
        await using var file = File.OpenRead(RepoPaths.SharedData("takehome-sample.json.gz"));
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        return [.. (await JsonSerializer.DeserializeAsync<JsonArray>(gzip))!.Select(x => x!)];
    }
}
