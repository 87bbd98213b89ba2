using Npgsql;

namespace LoginConsumer.Tests.Persistence;

/// <summary>
/// Npgsql asks for GSS encryption first unless told otherwise, and the runtime image has no Kerberos library: the
/// service turns it off unless the connection string names a mode.
/// </summary>
public sealed class ConnectionStringTests
{
    [Fact]
    public void WithoutGssEncryption_NoModeGiven_TurnsItOffAndKeepsEverythingElse()
    {
        var result = new NpgsqlConnectionStringBuilder(
            LoginConsumerServiceCollectionExtensions.WithoutGssEncryptionUnlessAsked("Host=db;Database=logins;Username=u;Password='a;b=c'"));

        Assert.Equal(GssEncryptionMode.Disable, result.GssEncryptionMode);
        Assert.Equal(("db", "logins", "u", "a;b=c"), (result.Host, result.Database, result.Username, result.Password));
    }

    [Theory]
    [InlineData("Host=db;GSS Encryption Mode=Require")]
    [InlineData("Host=db;gssencryptionmode=prefer")]
    public void WithoutGssEncryption_ModeGiven_LeavesItAsAsked(string connectionString) =>
        Assert.Equal(connectionString, LoginConsumerServiceCollectionExtensions.WithoutGssEncryptionUnlessAsked(connectionString));

    [Fact]
    public void WithoutGssEncryption_StringThatDoesNotParse_IsLeftForTheUsualError() =>
        Assert.Equal("Host=db;nonsense", LoginConsumerServiceCollectionExtensions.WithoutGssEncryptionUnlessAsked("Host=db;nonsense"));
}
