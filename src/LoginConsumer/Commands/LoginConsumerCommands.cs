using System.CommandLine;
using LoginConsumer.Hosting;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>The command line: every command the executable has, and <c>run</c> when none is given.</summary>
public static partial class LoginConsumerCommands
{
    /// <summary>On every command: print the stack trace of what ended it, after the one-line error.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "On an error, also print its stack trace.", Recursive = true };

    public static RootCommand Create()
    {
        var root = new RootCommand(
            "LoginConsumer: SQS login-queue → MassTransit → masked rows in PostgreSQL user_logins.\n"
            + "Settings that matter: ConnectionStrings__LoginDb, AWS_REGION (AWS_ENDPOINT_URL_SQS for an emulator), "
            + "Masking__Keys__<id> and Masking__ActiveKeyId, DOTNET_ENVIRONMENT=Development for local work (docs/configuration.md).\n"
            + "Exit codes: 0 done, 1 failed while running, 2 usage, 3 configuration, 4 a dependency unreachable.")
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
        root.Options.Add(Verbose);
        root.SetAction((_, cancellationToken) => RunCommand.ExecuteAsync(untilEmpty: false, cancellationToken));
        return root;
    }

    /// <summary>
    /// Parses and runs one command line. A mistake in it exits <see cref="ExitCodes.Usage"/> naming what was wrong;
    /// whatever ends a command early is reported in one line by <see cref="CommandErrors"/>.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var mistake in parse.Errors)
            {
                await error.WriteLineAsync("error: " + Readable(mistake.Message)).ConfigureAwait(false);
            }

            await error.WriteLineAsync("hint: see " + string.Join(' ', CommandPath(parse.CommandResult).Prepend("LoginConsumer")) + " --help").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        // The host handles SIGTERM/Ctrl+C itself and shuts down gracefully; the parser must not kill the process first.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false, Output = output, Error = error };
        try
        {
            return await parse.InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Failed;
        }
#pragma warning disable CA1031 // The last stop: anything that ends a command becomes its one-line error and exit code.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return CommandErrors.Report(ex, parse.GetValue(Verbose), error);
        }
    }

    /// <summary>Adds a check, run when the command line is parsed, that an integer option is within a range.</summary>
    public static T Within<T>(this T option, int min, int max)
        where T : Option
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && int.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value)
                && (value < min || value > max))
            {
                result.AddError(max == int.MaxValue
                    ? $"{option.Name} must be at least {min}; it was {value}."
                    : $"{option.Name} must be between {min} and {max}; it was {value}.");
            }
        });
        return option;
    }

    private static List<string> CommandPath(System.CommandLine.Parsing.CommandResult? result)
    {
        var path = new List<string>();
        for (var r = result; r is not null && r.Command is not RootCommand; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            path.Insert(0, r.Command.Name);
        }

        return path;
    }

    // The parser names .NET types ("System.Nullable`1[System.Int32]"); a user needs to know what to type.
    private static string Readable(string message) => TypeName().Replace(message, match => match.Groups[1].Value switch
    {
        "System.Int32" or "System.Nullable`1[System.Int32]" => "a whole number",
        "System.Boolean" => "true or false",
        "System.TimeSpan" => "a duration such as 00:02:00",
        _ => match.Value,
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"(?:expected )?type '([^']+)'")]
    private static partial System.Text.RegularExpressions.Regex TypeName();
}
