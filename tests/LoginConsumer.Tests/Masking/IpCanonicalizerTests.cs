using LoginConsumer.Masking;

namespace LoginConsumer.Tests.Masking;

public sealed class IpCanonicalizerTests
{
    [Theory]
    [InlineData("199.172.111.135", "199.172.111.135")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("2001:DB8::1", "2001:db8::1")]
    [InlineData("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("::1", "::1")]
    [InlineData("::", "::")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1")]
    [InlineData("::FFFF:c000:0201", "192.0.2.1")]
    [InlineData("0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1")]
    [InlineData("fe80::1:2:3:4", "fe80::1:2:3:4")]
    public void TryCanonicalize_ValidForm_GivesOneCanonicalText(string input, string expected)
    {
        Assert.True(IpCanonicalizer.TryCanonicalize(input, out var canonical));
        Assert.Equal(expected, canonical);
    }

    [Theory]
    [InlineData("")]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("127.1")]
    [InlineData("012.1.1.1")]
    [InlineData("1.2.3.4 ")]
    [InlineData(" 1.2.3.4")]
    [InlineData("12345")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("not-an-ip")]
    [InlineData("1..2.3")]
    [InlineData("2001:db8::1::2")]
    [InlineData("2001:db8::g")]
    [InlineData("fe80::1%eth0")]
    [InlineData("[::1]")]
    [InlineData("１.２.３.４")]
    public void TryCanonicalize_InvalidOrAmbiguousForm_IsRefused(string input) =>
        Assert.False(IpCanonicalizer.TryCanonicalize(input, out _));
}
