using System.Globalization;
using System.Text.Json.Nodes;

namespace LoginConsumer.Sample;

/// <summary>
/// Realistic login events for demos and load: seeded, so every run sends the same bodies. Duplicate
/// ips and device ids are drawn from small pools on purpose, so masked duplicates show up in the table.
/// </summary>
public static class SampleMessages
{
    /// <summary>The message producers sometimes put on the same queue: not a login event.</summary>
    public const string WrongMessageType = """{"foo": "oops_wrong_msg_type", "bar": "123"}""";

    private static readonly string[] DeviceTypes = ["android", "ios"];
    private static readonly string[] Locales = ["RU", "ID", "CN", "FR", "PH", "US", "BR", "DE", "PL", "SE"];
    private static readonly string[] AppVersions = ["2.3.0", "0.2.6", "2.2.1", "0.96", "1.1", "5.5", "0.8.3", "3.7", "0.5.0", "4.0.12"];

    /// <summary>The fixed sample: 100 messages, of which 99 are login events and one (the 51st) is another message type.</summary>
    public static IReadOnlyList<string> Fixed()
    {
        var bodies = Generate(99, seed: 2024, malformedEvery: 0).ToList();
        bodies.Insert(50, WrongMessageType);
        return bodies;
    }

    /// <summary>
    /// <paramref name="count"/> bodies; about one in <paramref name="malformedEvery"/> is malformed in one of three ways
    /// (another message type, not JSON, a user_id too long for its column). 0 turns malformed messages off.
    /// </summary>
    public static IEnumerable<string> Generate(int count, int seed, int malformedEvery = 200)
    {
        var random = new Random(seed);
        var ipPool = Enumerable.Range(0, Math.Max(8, count / 20)).Select(_ => RandomIp(random)).ToArray();
        var devicePool = Enumerable.Range(0, Math.Max(8, count / 20)).Select(_ => RandomDeviceId(random)).ToArray();
        for (var i = 0; i < count; i++)
        {
            if (malformedEvery > 0 && i % malformedEvery == malformedEvery - 1)
            {
                yield return (i / malformedEvery % 3) switch
                {
                    0 => WrongMessageType,
                    1 => "login user=" + i.ToString(CultureInfo.InvariantCulture),
                    _ => new JsonObject { ["user_id"] = new string('u', 129) }.ToJsonString(),
                };
                continue;
            }

            var login = new JsonObject
            {
                ["user_id"] = RandomGuid(random).ToString(),
                ["app_version"] = AppVersions[random.Next(AppVersions.Length)],
                ["device_type"] = random.Next(50) == 0 ? null : DeviceTypes[random.Next(DeviceTypes.Length)],
                ["ip"] = random.Next(4) == 0 ? ipPool[random.Next(ipPool.Length)] : RandomIp(random),
                ["locale"] = random.Next(3) == 0 ? null : Locales[random.Next(Locales.Length)],
                ["device_id"] = random.Next(4) == 0 ? devicePool[random.Next(devicePool.Length)] : RandomDeviceId(random),
            };
            yield return login.ToJsonString();
        }
    }

    private static Guid RandomGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static string RandomIp(Random random) => random.Next(10) == 0
        ? string.Create(CultureInfo.InvariantCulture, $"2001:db8:{random.Next(0x10000):x}::{random.Next(0x10000):x}")
        : string.Create(CultureInfo.InvariantCulture, $"{random.Next(1, 255)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}");

    private static string RandomDeviceId(Random random) =>
        string.Create(CultureInfo.InvariantCulture, $"{random.Next(1000):000}-{random.Next(100):00}-{random.Next(10000):0000}");
}
