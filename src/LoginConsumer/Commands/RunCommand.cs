using System.CommandLine;
using Microsoft.Extensions.Hosting;
using LoginConsumer.Hosting;
using LoginConsumer.Sqs;

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
            await HostingAbstractionsHostExtensions.RunAsync(app, cancellationToken).ConfigureAwait(false);
        }

        return Environment.ExitCode;
    }
}
