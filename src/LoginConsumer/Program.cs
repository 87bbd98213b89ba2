using System.CommandLine;
using LoginConsumer.Commands;

var root = new RootCommand("LoginConsumer: SQS login-queue → MassTransit → masked rows in PostgreSQL user_logins.")
{
    RunCommand.Create(),
    MigrateCommand.Create(),
    SendSampleCommand.Create(),
    SummaryCommand.Create(),
    UnmaskCommand.Create(),
    RekeyCommand.Create(),
    DlqCommand.Create(),
    ProbeCommand.Create(),
    PasswordVerifierCommand.Create(),
};
root.SetAction((_, cancellationToken) => RunCommand.ExecuteAsync(untilEmpty: false, cancellationToken));

// The host handles SIGTERM/Ctrl+C itself and shuts down gracefully; the parser must not kill the process first.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
