using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using LoginConsumer.Hosting;
using LoginConsumer.Sqs;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

public static class RunCommand
{
    public static readonly Option<bool> UntilEmpty = new("--until-empty")
    {
        Description = "Drain the queue, then exit 0 (batch jobs, tests, the demo).",
    };

    public static Command Create()
    {
        var command = new Command("run", "Consume login-queue into user_logins (the default command).\nExample: LoginConsumer run --until-empty") { UntilEmpty };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(parse.GetValue(UntilEmpty), cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(bool untilEmpty, CancellationToken cancellationToken)
    {
        var builder = LoginConsumerWeb.CreateBuilder();
        builder.AddLoginConsumer(new RunMode(untilEmpty));
        builder.AddLoginWeb();
        var app = builder.Build();
        await using (app.ConfigureAwait(false))
        {
            app.MapLoginEndpoints();
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // What had started (the background services) stops before the host is disposed under it. A host that
                // failed before starting anything may not stop either: what is reported is why it did not start.
                using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
                {
#pragma warning disable CA1031
                    try
                    {
                        await app.StopAsync(stopping.Token).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                    }
#pragma warning restore CA1031
                }

                if (AddressTaken(ex))
                {
                    throw new PortInUseException(ex.Message, ex);
                }

                throw;
            }

            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            if (app.Services.GetService<FatalStop>()?.First is { } fatal)
            {
                throw new RunStoppedException(fatal.ExitCode, fatal.Failure);
            }
        }

        return Environment.ExitCode;
    }

    private static bool AddressTaken(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException || e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }
}
