using LoginConsumer.Masking;
using LoginConsumer.Messaging;
using LoginConsumer.Persistence;
using LoginConsumer.Sqs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Tests.Hosting;

/// <summary>Settings go through the service's own wiring: the generated binder, then the generated validators.</summary>
public sealed class OptionsValidationTests
{
    [Fact]
    public void Options_NothingSet_BindTheDefaultsAndPass()
    {
        using var host = Build([]);
        Assert.Equal(new SqsOptions().DispatchTimeout, host.Services.GetRequiredService<IOptions<SqsOptions>>().Value.DispatchTimeout);
        Assert.Equal(new ConsumerOptions().RetryLimit, host.Services.GetRequiredService<IOptions<ConsumerOptions>>().Value.RetryLimit);
        Assert.Equal(new BatchWriterOptions().MaxBatchDelay, host.Services.GetRequiredService<IOptions<BatchWriterOptions>>().Value.MaxBatchDelay);
        Assert.Equal(new MaskingOptions().MaxIpLength, host.Services.GetRequiredService<IOptions<MaskingOptions>>().Value.MaxIpLength);
    }

    [Fact]
    public void Options_ValuesInRange_AreBound()
    {
        using var host = Build(new()
        {
            ["Sqs:DispatchTimeout"] = "00:00:05",
            ["Sqs:Receivers"] = "8",
            ["Sqs:CreateTopology"] = "false",
            ["Consumer:RetryMinInterval"] = "00:00:00.050",
            ["BatchWriter:MaxBatchDelay"] = "00:00:00",
            ["Masking:Keys:k1"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ["Masking:ActiveKeyId"] = "k1",
        });
        var sqs = host.Services.GetRequiredService<IOptions<SqsOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(5), sqs.DispatchTimeout);
        Assert.Equal(8, sqs.Receivers);
        Assert.False(sqs.CreateTopology);
        Assert.Equal(TimeSpan.FromMilliseconds(50), host.Services.GetRequiredService<IOptions<ConsumerOptions>>().Value.RetryMinInterval);
        Assert.Equal(TimeSpan.Zero, host.Services.GetRequiredService<IOptions<BatchWriterOptions>>().Value.MaxBatchDelay);
        Assert.Equal("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", host.Services.GetRequiredService<IOptions<MaskingOptions>>().Value.Keys["k1"]);
    }

    [Theory]
    [InlineData("Sqs:DispatchTimeout", "00:00:00.500", "DispatchTimeout", "00:00:01")]
    [InlineData("Sqs:LoopStallAfter", "02:00:00", "LoopStallAfter", "01:00:00")]
    [InlineData("Sqs:Receivers", "0", "Receivers", "64")]
    [InlineData("Sqs:QueueName", "not a queue name", "QueueName", "regular expression")]
    [InlineData("Consumer:RetryMaxInterval", "00:11:00", "RetryMaxInterval", "00:10:00")]
    [InlineData("Consumer:MaxJsonDepth", "1", "MaxJsonDepth", "64")]
    [InlineData("BatchWriter:MaxBatchDelay", "00:00:02", "MaxBatchDelay", "00:00:01")]
    [InlineData("BatchWriter:ProbeInterval", "00:00:00.050", "ProbeInterval", "00:00:00.1000000")]
    [InlineData("Masking:MaxIpLength", "0", "MaxIpLength", "1024")]
    public void Options_OutOfRange_FailNamingTheSettingAndItsBounds(string key, string value, string member, string bound)
    {
        using var host = Build(new() { [key] = value });
        var section = key[..key.IndexOf(':', StringComparison.Ordinal)];
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(host, section));
        Assert.Contains(member, error.Message, StringComparison.Ordinal);
        Assert.Contains(bound, error.Message, StringComparison.Ordinal);
    }

    private static object Resolve(IHost host, string section) => section switch
    {
        SqsOptions.SectionName => host.Services.GetRequiredService<IOptions<SqsOptions>>().Value,
        ConsumerOptions.SectionName => host.Services.GetRequiredService<IOptions<ConsumerOptions>>().Value,
        BatchWriterOptions.SectionName => host.Services.GetRequiredService<IOptions<BatchWriterOptions>>().Value,
        MaskingOptions.SectionName => host.Services.GetRequiredService<IOptions<MaskingOptions>>().Value,
        _ => throw new ArgumentOutOfRangeException(nameof(section)),
    };

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
        settings["ConnectionStrings:LoginDb"] = "Host=127.0.0.1;Database=none";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLoginConsumer(new RunMode(UntilEmpty: false));
        return builder.Build();
    }
}
