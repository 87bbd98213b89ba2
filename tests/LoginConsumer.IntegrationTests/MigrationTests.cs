using LoginConsumer.IntegrationTests.Infrastructure;
using Npgsql;

namespace LoginConsumer.IntegrationTests;

public sealed class MigrationTests : IAsyncLifetime
{
    private const string OriginalDdl =
        "CREATE TABLE IF NOT EXISTS user_logins (user_id varchar(128), device_type varchar(32), masked_ip varchar(256), masked_device_id varchar(256), locale varchar(32), app_version integer, create_date date);";

    private TestScope _scope = null!;

    public async Task InitializeAsync() => _scope = await TestScope.CreateAsync(migrate: false);

    public async Task DisposeAsync() => await _scope.DisposeAsync();

    [Fact]
    public async Task Migrate_EmptyDatabase_CreatesTheTableWithMessageIdAsKey()
    {
        var run = await _scope.RunConsumerAsync(["migrate"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Applied 2 migrations", run.Output, StringComparison.Ordinal);
        Assert.Equal(
            "app_version:integer:YES,app_version_text:character varying(64):YES,create_date:date:YES,device_type:character varying(32):YES,"
            + "locale:character varying(32):YES,masked_device_id:character varying(256):YES,masked_ip:character varying(256):YES,"
            + "message_id:character varying(128):NO,user_id:character varying(128):YES",
            await ColumnsAsync());
        Assert.Equal("message_id", await _scope.ScalarAsync<string>(
            "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'user_logins'::regclass AND i.indisprimary"));
    }

    [Fact]
    public async Task Migrate_AnalystsTableWithRows_KeepsEveryRowAndGivesEachALegacyKey()
    {
        await ExecuteAsync(OriginalDdl);
        await ExecuteAsync("INSERT INTO user_logins VALUES ('u1', 'ios', 'm1', 'd1', 'RU', 230, '2023-01-01'), ('u2', NULL, NULL, NULL, NULL, NULL, NULL), ('u1', 'ios', 'm1', 'd1', 'RU', 230, '2023-01-01')");

        var run = await _scope.RunConsumerAsync(["migrate"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(3L, await _scope.ScalarAsync<long>("SELECT count(*) FROM user_logins"));
        Assert.Equal(3L, await _scope.ScalarAsync<long>("SELECT count(DISTINCT message_id) FROM user_logins WHERE message_id LIKE 'legacy:%'"));
        Assert.Equal(2L, await _scope.ScalarAsync<long>("SELECT count(*) FROM user_logins WHERE user_id = 'u1' AND app_version = 230 AND create_date = '2023-01-01'"));
    }

    [Fact]
    public async Task Migrate_RunTwice_SecondRunAppliesNothing()
    {
        Assert.Equal(0, (await _scope.RunConsumerAsync(["migrate"])).ExitCode);

        var again = await _scope.RunConsumerAsync(["migrate"]);

        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("Applied 0 migrations", again.Output, StringComparison.Ordinal);
    }

    private async Task<string> ColumnsAsync() => (await _scope.ScalarAsync<string>(
        "SELECT string_agg(column_name || ':' || CASE WHEN character_maximum_length IS NULL THEN data_type ELSE data_type || '(' || character_maximum_length || ')' END || ':' || is_nullable, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'user_logins'"))!;

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_scope.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
