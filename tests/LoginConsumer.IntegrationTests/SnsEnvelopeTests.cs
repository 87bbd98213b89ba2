using LoginConsumer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace LoginConsumer.IntegrationTests;

/// <summary>
/// An SNS notification envelope keys its row on its SNS MessageId only when SNS's signature verifies against the
/// certificate at SigningCertURL on SNS's own host (the SNS Developer Guide's verification steps); an envelope any
/// producer can write by hand keys nothing. <see cref="SnsSigner"/> stands in for SNS's signing.
/// </summary>
public sealed class SnsEnvelopeTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int MaxReceiveCount = 2;

    private readonly SnsSigner _sns = new();
    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(maxReceiveCount: MaxReceiveCount);

    public async Task DisposeAsync()
    {
        await _scope.DisposeAsync();
    }

    public void Dispose() => _sns.Dispose();

    [Fact]
    public async Task Run_TwoForgedEnvelopesSharingAMessageId_StoresBothLogins()
    {
        var logins = NumberedLogins.Bodies("forged", 2).ToList();
        var sqsIds = new List<string>();
        foreach (var login in logins)
        {
            sqsIds.Add(await _scope.SendOneAsync(_sns.Envelope("K", login, withSignature: false)));
        }

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], Settings());

        Assert.True(run.ExitCode == 0, run.Output);
        var rows = await _scope.RowsAsync();
        NumberedLogins.AssertExactlyOnce(rows, "forged", 2, output);
        Assert.Equal(sqsIds.Order(), rows.Select(r => r.MessageId).Order());
    }

    [Fact]
    public async Task Run_OneSignedNotificationDeliveredTwice_StoresOneRowUnderItsSnsId()
    {
        var notification = _sns.Envelope("9f1c0c3e-5d0e-4b8e-9a51-3c4b2f6d7e80", NumberedLogins.Bodies("sns", 1).Single(), withSignature: true);
        await _scope.SendOneAsync(notification);
        await _scope.SendOneAsync(notification);

        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], Settings());

        Assert.True(run.ExitCode == 0, run.Output);
        var row = Assert.Single(await _scope.RowsAsync());
        Assert.Equal("sns:9f1c0c3e-5d0e-4b8e-9a51-3c4b2f6d7e80", row.MessageId);
        Assert.Equal((0, 0), await _scope.MainQueueCountsAsync());
    }

    [Fact]
    public async Task Redrive_OfASignedNotificationWhoseRowExists_AddsNoSecondRow()
    {
        var notification = _sns.Envelope("5b9d-redriven", NumberedLogins.Bodies("snsr", 1).Single(), withSignature: true);
        await _scope.SendOneAsync(notification);
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"], Settings())).ExitCode);

        // SNS delivers it again, and that copy keeps failing until the RedrivePolicy dead-letters it (no signed attributes).
        await _scope.SendOneAsync(notification);
        await _scope.ReceiveUntilDeadLetteredAsync(MaxReceiveCount);

        var redrive = await _scope.RunConsumerAsync(["dlq", "redrive"], Settings());
        output.WriteLine(redrive.Output);
        Assert.True(redrive.ExitCode == 0, redrive.Output);
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"], Settings())).ExitCode);

        var row = Assert.Single(await _scope.RowsAsync());
        Assert.Equal("sns:5b9d-redriven", row.MessageId);
    }

    private Dictionary<string, string?> Settings() => new() { ["Sqs__SnsCertificateDirectory"] = _sns.CertificateDirectory };
}
