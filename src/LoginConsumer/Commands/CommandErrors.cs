using System.Net.Http;
using System.Net.Sockets;
using Amazon.Runtime;
using LoginConsumer.Sqs;
using LoginConsumer.Hosting;
using LoginConsumer.Persistence;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginConsumer.Commands;

/// <summary>
/// Turns what ended a command into one <c>error:</c> line, one <c>hint:</c> line and an exit code
/// (<see cref="ExitCodes"/>). The stack trace is printed only with <c>--verbose</c>.
/// </summary>
public static class CommandErrors
{
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

    internal static (int Code, string Message, string Hint) Describe(Exception exception) => exception switch
    {
        OptionsValidationException invalid => (
            ExitCodes.Configuration,
            string.Join(" ", invalid.Failures),
            "settings come from appsettings.json beside the executable, then environment variables (':' becomes '__'); every setting: docs/configuration.md"),
        DependencyUnavailableException unavailable => (
            ExitCodes.Unreachable,
            unavailable.Message,
            "check that it is running and reachable from here; run with --verbose for the underlying error"),
        PostgresException refused when DatabaseRefusal.IsFinal(refused) => (
            ExitCodes.Configuration,
            "PostgreSQL refused the connection: " + refused.MessageText,
            "check the user, password and database in ConnectionStrings:LoginDb (ConnectionStrings:LoginDbMigrations for migrate and rekey)"),
        AmazonServiceException { StatusCode: System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.Unauthorized } denied => (
            ExitCodes.Configuration,
            "SQS refused the request: " + denied.Message,
            "check the AWS credentials and the IAM policy (deploy/iam/consumer-policy.json)"),
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
            "a dependency could not be reached: " + Innermost(exception).Message,
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
