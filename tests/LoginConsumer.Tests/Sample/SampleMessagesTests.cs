using System.Text.Json;
using LoginConsumer.Sample;

namespace LoginConsumer.Tests.Sample;

public sealed class SampleMessagesTests
{
    [Fact]
    public void Fixed_Has100MessagesOfWhichOneIsNotALoginEvent()
    {
        var bodies = SampleMessages.Fixed();
        Assert.Equal(100, bodies.Count);
        Assert.Single(bodies, b => !b.Contains("\"user_id\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Generate_SameSeed_GivesSameBodies() =>
        Assert.Equal(SampleMessages.Generate(500, seed: 3), SampleMessages.Generate(500, seed: 3));

    [Fact]
    public void Generate_ManyEvents_HasDeliberateDuplicateIpsAndDeviceIdsAndSomeMalformed()
    {
        var bodies = SampleMessages.Generate(2000, seed: 1).ToList();
        var logins = bodies.Select(TryParse).Where(x => x is not null).Select(x => x!).ToList();
        Assert.InRange(bodies.Count - logins.Count, 5, 20);
        Assert.Contains(logins.GroupBy(x => x.GetValueOrDefault("ip")), g => g.Key is not null && g.Count() > 1);
        Assert.Contains(logins.GroupBy(x => x.GetValueOrDefault("device_id")), g => g.Key is not null && g.Count() > 1);
    }

    private static Dictionary<string, string?>? TryParse(string body)
    {
        try
        {
            var fields = JsonSerializer.Deserialize<Dictionary<string, string?>>(body);
            return fields is not null && fields.TryGetValue("user_id", out var userId) && userId!.Length <= 128 ? fields : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
