using LoginConsumer.Masking;
using LoginConsumer.Persistence;
using MassTransit;

namespace LoginConsumer.Messaging;

/// <summary>
/// One message in, one row out: validate (poison is thrown here, before any batching), mask, then
/// await the shared batch writer, which completes when the row's batch is committed. Awaiting per
/// message keeps MassTransit's per-message retry and fault handling while the SQL runs per batch.
/// </summary>
public sealed class LoginEventConsumer(LoginEventValidator validator, Masker masker, LoginBatchWriter writer, LoginConsumer.Telemetry.LoginConsumerTelemetry telemetry) : IConsumer<LoginEvent>
{
    public async Task Consume(ConsumeContext<LoginEvent> context)
    {
        if (context.GetRetryAttempt() > 0)
        {
            telemetry.Retried();
        }

        var login = validator.Validate(context.Message);
        var row = new UserLogin
        {
            MessageId = TransportHeaders.GetMessageId(context.Headers),
            UserId = login.UserId,
            DeviceType = login.DeviceType,
            MaskedIp = masker.Mask(MaskedField.Ip, login.Ip),
            MaskedDeviceId = masker.Mask(MaskedField.DeviceId, login.DeviceId),
            Locale = login.Locale,
            AppVersion = login.AppVersion,
            AppVersionText = login.AppVersionText,
            CreateDate = DateOnly.FromDateTime(TransportHeaders.GetSentTime(context.Headers).UtcDateTime),
        };

        await writer.WriteAsync(row, context.CancellationToken).ConfigureAwait(false);
    }
}
