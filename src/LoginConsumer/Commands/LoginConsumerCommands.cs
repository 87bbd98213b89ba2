using System.CommandLine;

namespace LoginConsumer.Commands;

/// <summary>The command line: every command the executable has, and <c>run</c> when none is given.</summary>
public static class LoginConsumerCommands
{
    public static RootCommand Create()
    {
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
        return root;
    }
}
