using System.Globalization;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests.Infrastructure;

/// <summary>Login events whose user_id carries a sequence number, so a test can prove each was stored exactly once.</summary>
public static class NumberedLogins
{
    public static IEnumerable<string> Bodies(string prefix, int count) => Enumerable.Range(0, count).Select(i =>
        $$"""{"user_id": "{{UserId(prefix, i)}}", "device_type": "ios", "ip": "10.{{i / 65536 % 256}}.{{i / 256 % 256}}.{{i % 256}}", "locale": "SE", "device_id": "dev-{{i % 997}}", "app_version": "1.2.{{i % 50}}"}""");

    public static string UserId(string prefix, int i) => prefix + "-" + i.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Every numbered event stored exactly once: no missing, no duplicate, nothing else. Prints the figures.</summary>
    public static void AssertExactlyOnce(IReadOnlyCollection<StoredRow> rows, string prefix, int count, ITestOutputHelper output)
    {
        var byUser = rows.GroupBy(r => r.UserId ?? "").ToDictionary(g => g.Key, g => g.Count());
        var missing = Enumerable.Range(0, count).Count(i => !byUser.ContainsKey(UserId(prefix, i)));
        var duplicates = byUser.Values.Sum(n => n - 1);
        var unexpected = byUser.Keys.Count(k => !k.StartsWith(prefix + "-", StringComparison.Ordinal));
        output.WriteLine($"rows {rows.Count}, expected {count}, missing {missing}, duplicates {duplicates}, unexpected {unexpected}");
        Assert.Equal(0, missing);
        Assert.Equal(0, duplicates);
        Assert.Equal(0, unexpected);
        Assert.Equal(count, rows.Count);
    }
}
