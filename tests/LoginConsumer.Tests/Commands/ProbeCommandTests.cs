using LoginConsumer.Commands;

namespace LoginConsumer.Tests.Commands;

/// <summary>The probe calls where `run` listens, found in ASP.NET Core's order: ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, 8080.</summary>
public sealed class ProbeCommandTests
{
    [Theory]
    [InlineData(null, null, "http://127.0.0.1:8080")]
    [InlineData(null, "9090", "http://127.0.0.1:9090")]
    [InlineData(null, "9090,9091", "http://127.0.0.1:9090")]
    [InlineData("http://+:7070", "9090", "http://127.0.0.1:7070")]
    [InlineData("http://*:7070", null, "http://127.0.0.1:7070")]
    [InlineData("http://0.0.0.0:7070/", null, "http://127.0.0.1:7070")]
    [InlineData("http://[::]:7070", null, "http://127.0.0.1:7070")]
    [InlineData("http://127.0.0.1:7071;http://10.0.0.5:7072", null, "http://127.0.0.1:7071")]
    [InlineData("https://+:7443;http://localhost:7080", null, "http://localhost:7080")]
    [InlineData("http://[::1]:7070", null, "http://[::1]:7070")]
    public void ListeningUrl_FollowsAspNetCoreOrder(string? urls, string? ports, string expected) =>
        Assert.Equal(expected, ProbeCommand.ListeningUrl(urls, ports));
}
