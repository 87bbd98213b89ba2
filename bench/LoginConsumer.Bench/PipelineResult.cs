namespace LoginConsumer.Bench;

/// <summary>One pipeline's run: throughput, and CPU seconds per 1,000 messages for each process involved.</summary>
public sealed record PipelineResult(
    string Name,
    int Messages,
    double Seconds,
    double ConsumerCpuPer1000,
    double EmulatorCpuPer1000,
    double PostgresCpuPer1000,
    double PeakRssMb,
    string Detail)
{
    public double MessagesPerSecond => Messages / Seconds;

    /// <summary>For the consumer: its rate over the second half of its rows, once past start-up and JIT warm-up.</summary>
    public double WarmMessagesPerSecond { get; init; }

    /// <summary>For the consumer: rows over first-to-last commit, without process start-up and the until-empty stop.</summary>
    public double WindowMessagesPerSecond { get; init; }

    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{Name,-10} {MessagesPerSecond,9:F0} msg/s  ({Messages} in {Seconds:F1} s)  CPU s/1000 msgs: consumer {ConsumerCpuPer1000:F3}, emulator {EmulatorCpuPer1000:F3}, postgres {PostgresCpuPer1000:F3}  peak RSS {PeakRssMb:F0} MB  {Detail}");
}
