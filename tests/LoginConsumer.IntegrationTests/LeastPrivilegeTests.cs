using System.Diagnostics;
using LoginConsumer.IntegrationTests.Infrastructure;
using Npgsql;

namespace LoginConsumer.IntegrationTests;

/// <summary>deploy/sql/roles.sql, migrations as the owning role, the consumer as the runtime role.</summary>
public sealed class LeastPrivilegeTests : IAsyncLifetime
{
    private const string Prefix = "lp";

    private TestScope _scope = null!;
    private string _migrator = null!;
    private string _runtime = null!;
    private string _reader = null!;

    public async Task InitializeAsync()
    {
        _scope = await TestScope.CreateAsync(migrate: false);
        _migrator = "m_" + _scope.DatabaseName;
        _runtime = "r_" + _scope.DatabaseName;
        _reader = "ro_" + _scope.DatabaseName;
    }

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task RuntimeRole_ConsumesEverythingButCanOnlyInsertAndReadMessageId()
    {
        // The analysts' table exists first, owned by someone else, with a row; on a used database the runtime role may
        // already hold more than it needs (here UPDATE, DELETE, and SELECT on a PII column), and PUBLIC its defaults.
        await ExecuteAsAsync("postgres", "CREATE TABLE user_logins (user_id varchar(128), device_type varchar(32), masked_ip varchar(256), masked_device_id varchar(256), locale varchar(32), app_version integer, create_date date); INSERT INTO user_logins (user_id) VALUES ('legacy')");
        await ExecuteAsAsync("postgres", $"CREATE ROLE {_runtime} LOGIN; GRANT UPDATE, DELETE ON user_logins TO {_runtime}; GRANT SELECT (masked_ip) ON user_logins TO {_runtime}; GRANT SELECT ON user_logins TO PUBLIC");
        await RunRolesScriptAsync();
        Assert.Equal(RuntimeVerifier, await ScalarTextAsAsync("postgres", $"SELECT rolpassword FROM pg_authid WHERE rolname = '{_runtime}'"));

        var migrate = await _scope.RunConsumerAsync(["migrate"], new Dictionary<string, string?>
        {
            ["ConnectionStrings__LoginDbMigrations"] = ConnectionAs(_migrator),
            ["Migrations__RuntimeRole"] = _runtime,
        });
        Assert.True(migrate.ExitCode == 0, migrate.Output);

        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, 20).Append("""{"foo": "not a login"}"""));
        var run = await _scope.RunConsumerAsync(["run", "--until-empty"], new Dictionary<string, string?> { ["ConnectionStrings__LoginDb"] = ConnectionAs(_runtime) });
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(21, (await _scope.RowsAsync()).Count); // 20 new rows and the legacy one
        Assert.Single(await _scope.ReceiveAllErrorsAsync());

        Assert.Equal(21L, await ScalarAsAsync(_runtime, "SELECT count(message_id) FROM user_logins"));
        foreach (var forbidden in new[]
        {
            "SELECT user_id FROM user_logins",
            "SELECT masked_ip FROM user_logins",
            "UPDATE user_logins SET locale = 'x'",
            "DELETE FROM user_logins",
            "TRUNCATE user_logins",
            "CREATE TABLE sneaky (x int)",
            "CREATE TEMP TABLE sneaky (x int)",
            "ALTER TABLE user_logins ADD COLUMN x int",
        })
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(_runtime, forbidden));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }
    }

    [Fact]
    public async Task ReadOnlyRole_RunsSummaryAndCanWriteNothing()
    {
        await RunRolesScriptAsync();
        var migrate = await _scope.RunConsumerAsync(["migrate"], new Dictionary<string, string?>
        {
            ["ConnectionStrings__LoginDbMigrations"] = ConnectionAs(_migrator),
            ["Migrations__RuntimeRole"] = _runtime,
            ["Migrations__ReadOnlyRole"] = _reader,
        });
        Assert.True(migrate.ExitCode == 0, migrate.Output);
        await _scope.SendAsync(NumberedLogins.Bodies(Prefix, 5).Append("[]"));
        Assert.Equal(0, (await _scope.RunConsumerAsync(["run", "--until-empty"], new Dictionary<string, string?> { ["ConnectionStrings__LoginDb"] = ConnectionAs(_runtime) })).ExitCode);

        var summary = await _scope.RunConsumerAsync(["summary", "-o", "json"], new Dictionary<string, string?> { ["ConnectionStrings__LoginDb"] = ConnectionAs(_reader) });
        Assert.True(summary.ExitCode == 0, summary.Output);
        var json = System.Text.Json.Nodes.JsonNode.Parse(summary.Output[summary.Output.IndexOf('{', StringComparison.Ordinal)..])!;
        Assert.Equal(5, (int)json["rows"]!);
        Assert.Equal(1, (int)json["error_queue_messages"]!);

        // Read-only by default, and without the privileges even when a session turns that off.
        var readOnly = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(_reader, "INSERT INTO user_logins (message_id, user_id) VALUES ('x', 'x')"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, readOnly.SqlState);
        foreach (var forbidden in new[]
        {
            "INSERT INTO user_logins (message_id, user_id) VALUES ('x', 'x')",
            "UPDATE user_logins SET locale = 'x'",
            "DELETE FROM user_logins",
            "TRUNCATE user_logins",
            "CREATE TABLE sneaky (x int)",
            "SELECT count(*) FROM \"__EFMigrationsHistory\"",
        })
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsAsync(_reader, "BEGIN READ WRITE; " + forbidden + "; COMMIT"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);
        }

        Assert.Equal(5L, await ScalarAsAsync(_reader, "SELECT count(*) FROM user_logins"));
    }

    [Fact]
    public async Task RolesScript_GivenAPasswordInsteadOfAVerifier_RefusesAndSetsNothing()
    {
        var refused = await RunRolesScriptAsync(runtimeVerifier: "r-secret");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("must be SCRAM-SHA-256 verifiers", refused.Output, StringComparison.Ordinal);
        Assert.Null(await ScalarTextAsAsync("postgres", $"SELECT rolpassword FROM pg_authid WHERE rolname = '{_runtime}'"));
    }

    /// <summary>What `LoginConsumer password-verifier` prints for "r-secret" with a fixed salt (PasswordVerifierCommandTests).</summary>
    private const string RuntimeVerifier = "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$A01sMetuMxB6kR1kjyXn4o6qVI1/YxmI15pOZrX+M+w=:UNi+3CYOCZCQbB/hr6mcfC+e/NGZ+6joic+1AXwPeLM=";

    private string ConnectionAs(string role) => _scope.ConnectionString.Replace("Username=postgres", "Username=" + role, StringComparison.Ordinal);

    private async Task RunRolesScriptAsync()
    {
        var result = await RunRolesScriptAsync(RuntimeVerifier);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    private async Task<(int ExitCode, string Output)> RunRolesScriptAsync(string runtimeVerifier)
    {
        var start = new ProcessStartInfo(Path.Combine(_scope.Services.PostgresBin, "psql")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            "-h", "127.0.0.1", "-p", _scope.Services.PostgresPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", _scope.DatabaseName,
            "-v", "migrator=" + _migrator, "-v", "runtime=" + _runtime, "-v", "migrator_verifier=" + RuntimeVerifier.Replace("A01s", "B01s", StringComparison.Ordinal), "-v", "runtime_verifier=" + runtimeVerifier,
            "-v", "reader=" + _reader, "-v", "reader_verifier=" + RuntimeVerifier.Replace("A01s", "C01s", StringComparison.Ordinal),
            "-f", Path.Combine(RepoPaths.Root, "deploy", "sql", "roles.sql"),
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var psql = Process.Start(start)!;
        var output = psql.StandardOutput.ReadToEndAsync();
        var errors = psql.StandardError.ReadToEndAsync();
        await psql.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (psql.ExitCode, await output + await errors);
    }

    private async Task ExecuteAsAsync(string role, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionAs(role));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string?> ScalarTextAsAsync(string role, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionAs(role));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync() as string;
    }

    private async Task<long> ScalarAsAsync(string role, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionAs(role));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
