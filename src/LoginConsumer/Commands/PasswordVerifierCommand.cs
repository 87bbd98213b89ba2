using System.CommandLine;
using LoginConsumer.Hosting;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LoginConsumer.Infrastructure;

namespace LoginConsumer.Commands;

/// <summary>
/// Turns a database role's password, read from standard input, into the SCRAM-SHA-256 verifier PostgreSQL stores, so
/// that deploy/sql/roles.sql sets the password without the password itself ever appearing in SQL text (which a server
/// with log_statement=ddl would log).
/// </summary>
public static class PasswordVerifierCommand
{
    public const int Iterations = 4096;
    private const int SaltBytes = 16;

    public static Command Create()
    {
        var command = new Command(
            "password-verifier",
            "Read a PostgreSQL role's password from standard input and print its SCRAM-SHA-256 verifier, for deploy/sql/roles.sql.\n"
            + "Example: printf '%s\\n' \"$RUNTIME_PASSWORD\" | LoginConsumer password-verifier");
        command.SetAction(parse =>
        {
            var password = Console.In.ReadLine(); // standard input is the process's own: the parser has no reader for it
            if (string.IsNullOrEmpty(password))
            {
                return CommandErrors.Refuse(
                    parse.InvocationConfiguration.Error,
                    "password-verifier read no password: standard input was empty.",
                    "give the password on standard input, e.g. printf '%s\\n' \"$RUNTIME_PASSWORD\" | LoginConsumer password-verifier",
                    ExitCodes.Usage);
            }

            parse.InvocationConfiguration.Output.WriteLine(Verifier(password, RandomNumberGenerator.GetBytes(SaltBytes), Iterations));
            return ExitCodes.Done;
        });
        return command;
    }

    /// <summary>RFC 5802 / 7677 as PostgreSQL writes it: SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey (base64).</summary>
    public static string Verifier(string password, byte[] salt, int iterations)
    {
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}");
    }
}
