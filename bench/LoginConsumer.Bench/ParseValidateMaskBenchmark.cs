using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Bench;

/// <summary>The per-message work of our own code: body checks, reading the contract (as MassTransit's raw serializer does), validation, two HMACs.</summary>
[MemoryDiagnoser]
public class ParseValidateMaskBenchmark
{
    internal static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"user_id": "424cdd21-063a-43a7-b91b-7ca1a833afae", "app_version": "2.3.0", "device_type": "android", "ip": "199.172.111.135", "locale": "RU", "device_id": "593-47-5928"}""");

    private static readonly byte[] Ipv6Body = Encoding.UTF8.GetBytes(
        """{"user_id": "424cdd21-063a-43a7-b91b-7ca1a833afae", "app_version": "2.3.0", "device_type": "ios", "ip": "2001:0DB8:0000:0000:0000:0000:0000:0001", "locale": "SE", "device_id": "593-47-5928"}""");

    private readonly LoginEventValidator _validator = new(Options.Create(new MaskingOptions()));
    private readonly Masker _masker = new(KeyRing.Create(
        new MaskingOptions { Keys = { ["k1"] = Convert.ToBase64String(new byte[32]) }, ActiveKeyId = "k1" }, allowDevelopmentKey: false));

    [Benchmark(Baseline = true)]
    public string? Ipv4Message() => Process(Body);

    [Benchmark]
    public string? Ipv6Message() => Process(Ipv6Body);

    [Benchmark]
    public void BodyCheckOnly() => JsonBodyInspector.Check(Body, 65536, 16);

    private string? Process(byte[] body)
    {
        JsonBodyInspector.Check(body, 65536, 16);
        var login = _validator.Validate(JsonSerializer.Deserialize<LoginEvent>(body));
        var ip = _masker.Mask(MaskedField.Ip, login.Ip);
        return _masker.Mask(MaskedField.DeviceId, login.DeviceId) + ip;
    }
}
