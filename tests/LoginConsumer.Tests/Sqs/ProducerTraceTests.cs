using System.Diagnostics;
using Amazon.SQS.Model;
using LoginConsumer.Sqs;

namespace LoginConsumer.Tests.Sqs;

public sealed class ProducerTraceTests
{
    // The example from X-Ray's documentation of the tracing header, and its W3C form.
    private const string AwsHeader = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void AwsTraceHeader_BecomesTheSameTraceInW3CForm()
    {
        var context = ProducerTrace.FromAwsTraceHeader(AwsHeader)!.Value;

        Assert.Equal("5759e988bd862e3fe1be46a994272793", context.TraceId.ToHexString());
        Assert.Equal("53995c3f42cd8ad8", context.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.True(context.IsRemote);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793")] // no parent: nothing to link to
    [InlineData("Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-5759e988-BD862E3FE1BE46A994272793;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a99427279z;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8")]
    [InlineData("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000")]
    [InlineData("Root=1-5759e988bd862e3fe1be46a9942727933;Parent=53995c3f42cd8ad8")]
    public void AwsTraceHeader_ThatDoesNotParse_IsIgnored(string header) => Assert.Null(ProducerTrace.FromAwsTraceHeader(header));

    [Fact]
    public void AwsTraceHeader_LongerThanTheFormatAllows_IsIgnored() =>
        Assert.Null(ProducerTrace.FromAwsTraceHeader(AwsHeader + ";Lineage=" + new string('a', 300)));

    [Theory]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("not a traceparent")]
    public void TraceParent_ThatDoesNotParse_IsIgnored(string value) => Assert.Null(ProducerTrace.FromTraceParent(value, null));

    [Fact]
    public void LinksOf_BothCarriers_LinksEachOnceAndNeitherWhenAbsent()
    {
        var both = new Message
        {
            MessageAttributes = new() { [ProducerTrace.TraceParentName] = new() { DataType = "String", StringValue = TraceParent } },
            Attributes = new() { [ProducerTrace.AwsTraceHeaderName] = AwsHeader },
        };
        Assert.Equal(
            ["0af7651916cd43dd8448eb211c80319c", "5759e988bd862e3fe1be46a994272793"],
            ProducerTrace.LinksOf(both).Select(l => l.Context.TraceId.ToHexString()).Order());

        var same = new Message { Attributes = new() { [ProducerTrace.AwsTraceHeaderName] = "Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=b7ad6b7169203331;Sampled=1" }, MessageAttributes = both.MessageAttributes };
        Assert.Single(ProducerTrace.LinksOf(same));
        Assert.Empty(ProducerTrace.LinksOf(new Message()));
    }
}
