using System.Net.Http;
using System.Net.Sockets;
using Amazon.Runtime;
using LoginConsumer.Sqs;
using LoginConsumer.Hosting;
using LoginConsumer.Persistence;
using Microsoft.Extensions.Options;
using Npgsql;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>
/// Turns what ended a command into one <c>error:</c> line, one <c>hint:</c> line and an exit code
/// (<see cref="ExitCodes"/>). The stack trace is printed only with <c>--verbose</c>.
/// </summary>
public static partial class CommandErrors
{
    /// <summary>A command that declines to act: one <c>error:</c> line saying why, one <c>hint:</c> line saying what to do.</summary>
    public static int Refuse(TextWriter error, string why, string hint, int exitCode)
    {
        error.WriteLine("error: " + OneLine(why));
        error.WriteLine("hint: " + OneLine(hint));
        return exitCode;
    }

    public static int Report(Exception exception, bool verbose, TextWriter error)
    {
        var (code, message, hint) = Describe(exception);
        error.WriteLine("error: " + OneLine(message));
        error.WriteLine("hint: " + hint);
        if (verbose)
        {
            error.WriteLine(exception.ToString());
        }

        return code;
    }

    private const string SettingsHint = "settings come from appsettings.json beside the executable, then environment variables (':' becomes '__'); every setting: docs/configuration.md";

    internal static (int Code, string Message, string Hint) Describe(Exception exception) => exception switch
    {
        RunStoppedException stopped => Describe(stopped.InnerException!) with { Code = stopped.ExitCode },
        OptionsValidationException invalid => (ExitCodes.Configuration, SettingErrors.Describe(invalid), SettingsHint),
        SettingException setting => (ExitCodes.Configuration, setting.Message, SettingsHint),
        _ when SettingErrors.Unconvertible(exception) is { } unconvertible => (ExitCodes.Configuration, unconvertible, SettingsHint),
        PortInUseException port => (ExitCodes.Configuration, port.Message, "stop what listens there, or choose another port with ASPNETCORE_URLS (e.g. http://+:8081) or ASPNETCORE_HTTP_PORTS"),
        DependencyUnavailableException unavailable => (
            ExitCodes.Unreachable,
            unavailable.Message + (Unreachable(unavailable.InnerException) is { } last ? " The last attempt: " + last : string.Empty),
            "check that it is running and reachable from here; run with --verbose for the underlying error"),
        PostgresException refused when DatabaseRefusal.IsFinal(refused) => (
            ExitCodes.Configuration,
            "PostgreSQL refused the connection: " + refused.MessageText,
            "check the user, password and database in ConnectionStrings:LoginDb (ConnectionStrings:LoginDbMigrations for migrate and rekey)"),
        AmazonServiceException { StatusCode: System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.Unauthorized } denied => (
            ExitCodes.Configuration,
            $"SQS refused the request ({denied.ErrorCode}): " + denied.Message,
            "check the AWS credentials and the role's IAM policy (deploy/iam: consumer-policy.json for run, operator-policy.json for dlq and summary)"),
        QueueMissingException missing => (
            ExitCodes.Configuration,
            missing.Message,
            "check Sqs:QueueName and Sqs:ErrorQueueName (Sqs__QueueName, Sqs__ErrorQueueName), AWS_REGION and the account; operator commands never create queues"),
        AmazonServiceException { ErrorCode: "AWS.SimpleQueueService.NonExistentQueue" or "QueueDoesNotExist" } missing => (
            ExitCodes.Configuration,
            "a queue does not exist: " + missing.Message,
            "check Sqs:QueueName and Sqs:ErrorQueueName, AWS_REGION and the account; Sqs:CreateTopology=true creates them"),
        AmazonClientException client when client.InnerException is null => (
            ExitCodes.Configuration,
            "the AWS SDK is not configured: " + client.Message,
            "set AWS_REGION (and AWS_ENDPOINT_URL_SQS for an emulator); credentials come from the SDK's standard chain"),
        _ when IsUnreachable(exception) => (
            ExitCodes.Unreachable,
            Unreachable(exception) ?? "a dependency could not be reached: " + Innermost(exception).Message,
            "check that SQS and PostgreSQL are running and reachable from here; run with --verbose for the details"),
        _ => (ExitCodes.Failed, exception.Message, "run again with --verbose for the details"),
    };

    // The outcome, not a list of every type a client might throw: no answer at all, at any depth.
    private static bool IsUnreachable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException or HttpRequestException or TimeoutException || (e is NpgsqlException && e is not PostgresException))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Which dependency did not answer, at which host and port, and how: from what the clients say of it.</summary>
    private static string? Unreachable(Exception? exception)
    {
        string? who = null;
        string? where = null;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            who ??= e is NpgsqlException ? "PostgreSQL" : e is HttpRequestException or AmazonServiceException or AmazonClientException ? "SQS" : null;
            if (where is null && Endpoint().Match(e.Message) is { Success: true } match)
            {
                where = match.Groups["npgsql"].Success ? match.Groups["npgsql"].Value : match.Groups["http"].Value;
            }
        }

        if (who is null)
        {
            return null;
        }

        var why = OneLine(Innermost(exception!).Message).TrimEnd('.');
        return where is null ? $"{who} could not be reached: {why}." : $"{who} at {where} could not be reached: {why}.";
    }

    // Npgsql: "Failed to connect to 10.0.0.5:5432"; .NET's HTTP client: "Connection refused (sqs.eu-west-1.amazonaws.com:443)".
    [System.Text.RegularExpressions.GeneratedRegex(@"Failed to connect to (?<npgsql>\S+?)(?:\s|$)|\((?<http>[^()\s]+:[0-9]{1,5})\)")]
    private static partial System.Text.RegularExpressions.Regex Endpoint();

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
