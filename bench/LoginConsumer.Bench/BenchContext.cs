using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LoginConsumer.Commands;
using Npgsql;

namespace LoginConsumer.Bench;

/// <summary>The local services a bench run measures against, from the settings scripts/services.sh wrote.</summary>
public sealed class BenchContext(string stateDir) : IDisposable
{
    public IAmazonSQS Sqs { get; } = LoginConsumer.Sqs.SqsClientFactory.Create();

    public string ConnectionString { get; } = Environment.GetEnvironmentVariable("ConnectionStrings__LoginDb")
        ?? throw new InvalidOperationException("ConnectionStrings__LoginDb is not set: source the services' env file first.");

    public int EmulatorPid { get; } = int.Parse(File.ReadAllText(Path.Combine(stateDir, "fauxqs.pid")).Trim(), CultureInfo.InvariantCulture);

    public int PostmasterPid { get; } = int.Parse(
        File.ReadLines(Path.Combine(Environment.GetEnvironmentVariable("LC_PG_DATA")!, "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    public double EmulatorCpu() => ProcessCpu.Seconds(EmulatorPid);

    public double PostgresCpu() => ProcessCpu.TreeSeconds(PostmasterPid);

    /// <summary>A fresh queue pair (with the production redrive shape), filled with <paramref name="count"/> generated login events.</summary>
    public async Task<(string Name, string Url)> BacklogAsync(string prefix, int count)
    {
        var name = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        var errorUrl = (await Sqs.CreateQueueAsync(name + "_error")).QueueUrl;
        var arn = (await Sqs.GetQueueAttributesAsync(errorUrl, [QueueAttributeName.QueueArn])).QueueARN;
        var url = (await Sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = name,
            Attributes = new Dictionary<string, string>
            {
                [QueueAttributeName.RedrivePolicy] = JsonSerializer.Serialize(new { deadLetterTargetArn = arn, maxReceiveCount = 5 }),
            },
        })).QueueUrl;
        await LoginConsumer.Sample.SampleSender.SendAllAsync(Sqs, url, Sample.SampleMessages.Generate(count, seed: 11, malformedEvery: 0), CancellationToken.None);
        return (name, url);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async Task<double> ScalarDoubleAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() is double value ? value : double.NaN;
    }

    public void Dispose() => Sqs.Dispose();
}
