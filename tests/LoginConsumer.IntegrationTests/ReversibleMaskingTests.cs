using System.Globalization;
using LoginConsumer.IntegrationTests.Infrastructure;
using LoginConsumer.Masking;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests;

/// <summary>Masking:Algorithm=AesGcmSiv end to end: the consumer encrypts, `unmask` recovers, `rekey` moves every row to a new key.</summary>
public sealed class ReversibleMaskingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Prefix = "aes";
    private const int Count = 120;
    private const string NewKeyId = "t2";
    private const string NewKeyBase64 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

    private static readonly Dictionary<string, string?> Aes = new() { ["Masking__Algorithm"] = "AesGcmSiv" };

    private static readonly Dictionary<string, string?> AesRotated = new()
    {
        ["Masking__Algorithm"] = "AesGcmSiv",
        ["Masking__Keys__" + NewKeyId] = NewKeyBase64,
        ["Masking__ActiveKeyId"] = NewKeyId,
    };

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync();

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Consumer_UnderAesGcmSiv_StoresValuesThatUnmaskToTheOriginals()
    {
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, Count));
        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], Aes);
        Assert.True(run.ExitCode == 0, run.Output);

        var rows = await _scope.RowsAsync();
        NumberedLogins.AssertExactlyOnce(rows, Prefix, Count, output);
        Assert.All(rows, r => Assert.StartsWith(TestScope.KeyId + ":e:", r.MaskedIp, StringComparison.Ordinal));
        Assert.All(rows, r => Assert.DoesNotContain("10.", r.MaskedIp, StringComparison.Ordinal));

        // 120 distinct device ids give 120 distinct ciphertexts (equal ones stay equal: see the unit tests).
        Assert.Equal(rows.Count, rows.Select(r => r.MaskedDeviceId).Distinct().Count());
        var row = rows.OrderBy(r => r.UserId, StringComparer.Ordinal).Last();
        var i = Number(row.UserId!);

        var ip = await _scope.RunConsumerAsync(["unmask", "--field", "ip", "--value", row.MaskedIp!, "--reason", "TICKET-1"], Aes);
        var deviceId = await _scope.RunConsumerAsync(["unmask", "--field", "device_id", "--value", row.MaskedDeviceId!, "--reason", "TICKET-1"], Aes);

        Assert.True(ip.ExitCode == 0, ip.Output);
        Assert.Contains(ExpectedIp(i), ip.Output.Split('\n').Select(l => l.Trim()));
        var audit = AuditLine(ip.Output);
        Assert.True((bool)audit["allowed"]!);
        Assert.Equal("ip", (string?)audit["field"]);
        Assert.Equal("t1", (string?)audit["key_id"]);
        Assert.Equal(row.MaskedIp, (string?)audit["masked_value"]);
        Assert.Equal("TICKET-1", (string?)audit["reason"]);
        Assert.Equal(Environment.UserName, (string?)audit["os_user"]);
        Assert.True(DateTimeOffset.TryParse((string?)audit["time"], System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.DoesNotContain(ExpectedIp(i), audit.ToJsonString(), StringComparison.Ordinal);
        Assert.True(deviceId.ExitCode == 0, deviceId.Output);
        Assert.Contains(ExpectedDeviceId(i), deviceId.Output.Split('\n').Select(l => l.Trim()));

        var crossed = await _scope.RunConsumerAsync(["unmask", "--field", "device_id", "--value", row.MaskedIp!, "--reason", "TICKET-1"], Aes);
        Assert.Equal(1, crossed.ExitCode);
        Assert.False((bool)AuditLine(crossed.Output)["allowed"]!);
        Assert.Contains("other field", crossed.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(ExpectedIp(i), crossed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unmask_UnderHmacSha256_RefusesAndSaysWhy()
    {
        var masked = TestScope.Masker.Mask(MaskedField.Ip, "10.0.0.1")!;

        var result = await _scope.RunConsumerAsync(["unmask", "--field", "ip", "--value", masked, "--reason", "TICKET-2"]);

        Assert.Equal(1, result.ExitCode);
        var audit = AuditLine(result.Output);
        Assert.False((bool)audit["allowed"]!);
        Assert.Equal("TICKET-2", (string?)audit["reason"]);
        Assert.Contains("Masking:Algorithm is HmacSha256, which is one-way", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("10.0.0.1", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unmask_WithoutAReason_IsRefusedAndTheRefusalAudited()
    {
        var missing = await _scope.RunConsumerAsync(["unmask", "--field", "ip", "--value", "t1:e:AAAA"], Aes);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--reason", missing.Output, StringComparison.Ordinal);

        var blank = await _scope.RunConsumerAsync(["unmask", "--field", "ip", "--value", "t1:e:AAAA", "--reason", "  "], Aes);
        Assert.Equal(2, blank.ExitCode);
        Assert.False((bool)AuditLine(blank.Output)["allowed"]!);
    }

    /// <summary>The one JSON audit line an unmask attempt writes.</summary>
    private static System.Text.Json.Nodes.JsonObject AuditLine(string output) =>
        output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("{\"event\":\"unmask\"", StringComparison.Ordinal))
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject()).Single();

    [Fact]
    public async Task Rekey_ARowNoKeyDecrypts_IsReportedAndSkippedAndEveryOtherRowMoves()
    {
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, 30));
        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], Aes);
        Assert.True(run.ExitCode == 0, run.Output);
        var broken = (await _scope.RowsAsync()).OrderBy(r => r.MessageId, StringComparer.Ordinal).ElementAt(10).MessageId;
        await _scope.ScalarAsync<int?>($"UPDATE user_logins SET masked_ip = '{TestScope.KeyId}:e:AAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE message_id = '{broken}'");

        var first = await _scope.RunConsumerAsync(["rekey", "--batch-size", "7"], AesRotated);
        var again = await _scope.RunConsumerAsync(["rekey", "--batch-size", "7"], AesRotated);
        output.WriteLine(first.Output + again.Output);

        // Reported by its row, left as it is, and no longer in the way of the rows after it, run after run.
        Assert.Equal(1, first.ExitCode);
        Assert.Contains($"row {broken} cannot be decrypted", first.Output, StringComparison.Ordinal);
        Assert.Contains("29 rows re-encrypted", first.Output, StringComparison.Ordinal);
        Assert.Contains("1 that no key of the ring decrypts", first.Output, StringComparison.Ordinal);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("0 rows re-encrypted", again.Output, StringComparison.Ordinal);
        var rows = await _scope.RowsAsync();
        Assert.Equal(29, rows.Count(r => r.MaskedIp!.StartsWith(NewKeyId + ":e:", StringComparison.Ordinal)));
        Assert.StartsWith(TestScope.KeyId + ":e:", rows.Single(r => r.MessageId == broken).MaskedIp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rekey_InterruptedThenRunAgain_MovesEveryRowToTheNewKeyWithoutLosingOrDoublingAny()
    {
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, Count));
        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], Aes);
        Assert.True(run.ExitCode == 0, run.Output);
        var before = await _scope.RowsAsync();

        // A first run stopped after 50 rows stands for one that was killed: the rows it finished stay finished.
        var partial = await _scope.RunConsumerAsync(["rekey", "--batch-size", "20", "--limit", "50"], AesRotated);
        output.WriteLine(partial.Output);
        Assert.True(partial.ExitCode == 0, partial.Output);
        Assert.Contains($"{Count} rows hold values under keys other than '{NewKeyId}'", partial.Output, StringComparison.Ordinal);
        Assert.Contains($"50 of {Count} rows re-encrypted", partial.Output, StringComparison.Ordinal);
        var middle = await _scope.RowsAsync();
        Assert.Equal(50, middle.Count(r => r.MaskedIp!.StartsWith(NewKeyId + ":e:", StringComparison.Ordinal)));
        Assert.Equal(Count - 50, middle.Count(r => r.MaskedIp!.StartsWith(TestScope.KeyId + ":e:", StringComparison.Ordinal)));

        var rest = await _scope.RunConsumerAsync(["rekey", "--batch-size", "20"], AesRotated);
        output.WriteLine(rest.Output);
        Assert.True(rest.ExitCode == 0, rest.Output);
        Assert.Contains($"{Count - 50} of {Count - 50} rows re-encrypted", rest.Output, StringComparison.Ordinal);
        Assert.Contains("0 still under other keys", rest.Output, StringComparison.Ordinal);

        var after = await _scope.RowsAsync();
        NumberedLogins.AssertExactlyOnce(after, Prefix, Count, output);
        Assert.Equal(before.Select(r => r.MessageId).Order(), after.Select(r => r.MessageId).Order());

        var rotated = new Masker(
            KeyRing.Create(new MaskingOptions { Keys = { [TestScope.KeyId] = TestScope.KeyBase64, [NewKeyId] = NewKeyBase64 }, ActiveKeyId = NewKeyId }, allowDevelopmentKey: false),
            MaskingAlgorithm.AesGcmSiv);
        foreach (var row in after)
        {
            var i = Number(row.UserId!);
            Assert.StartsWith(NewKeyId + ":e:", row.MaskedDeviceId, StringComparison.Ordinal);
            Assert.True(rotated.TryUnmask(MaskedField.Ip, row.MaskedIp!, out var ip, out var error), error);
            Assert.Equal(ExpectedIp(i), ip);
            Assert.True(rotated.TryUnmask(MaskedField.DeviceId, row.MaskedDeviceId!, out var deviceId, out error), error);
            Assert.Equal(ExpectedDeviceId(i), deviceId);

            // Other columns are untouched.
            var old = before.Single(b => b.MessageId == row.MessageId);
            Assert.Equal(old with { MaskedIp = null, MaskedDeviceId = null }, row with { MaskedIp = null, MaskedDeviceId = null });
        }
    }

    [Fact]
    public async Task Rekey_UnderHmacSha256_RefusesAndChangesNothing()
    {
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, 5));
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"])).ExitCode);
        var before = await _scope.RowsAsync();

        var result = await _scope.RunConsumerAsync(["rekey"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("one-way values cannot be re-computed", result.Output, StringComparison.Ordinal);
        Assert.Equal(before.OrderBy(r => r.MessageId), (await _scope.RowsAsync()).OrderBy(r => r.MessageId));
    }

    private static int Number(string userId) => int.Parse(userId[(Prefix.Length + 1)..], CultureInfo.InvariantCulture);

    private static string ExpectedIp(int i) => string.Create(CultureInfo.InvariantCulture, $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}");

    private static string ExpectedDeviceId(int i) => string.Create(CultureInfo.InvariantCulture, $"dev-{i % 997}");
}
