using System.Globalization;
using System.Text.Json;

namespace LoginConsumer.Operations;

/// <summary>
/// The one JSON line every <c>dlq redrive</c> and <c>dlq purge</c> writes to standard error, dry run or not: who ran it
/// (OS user and host: in the cluster, the operator pod's name), against which queue, with which filters, and the
/// messages moved (or purged) and left, by reason code; a dry run counts what it would move. It carries reason codes and counts, never a body.
/// </summary>
public static class OperatorAudit
{
    public static void Write(
        TextWriter error, string action, string verb, string queue, ErrorQueueFilter filter, bool dryRun, ReasonTally moved, ReasonTally left, int exitCode, TimeProvider time)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", action);
            json.WriteBoolean("dry_run", dryRun);
            json.WriteString("os_user", Environment.UserName);
            json.WriteString("host", Environment.MachineName);
            json.WriteString("queue", queue);
            json.WritePropertyName("filters");
            filter.ToJson().WriteTo(json);
            json.WriteNumber(verb, moved.Total);
            json.WritePropertyName(verb + "_by_reason");
            moved.ToJson().WriteTo(json);
            json.WriteNumber("left", left.Total);
            json.WritePropertyName("left_by_reason");
            left.ToJson().WriteTo(json);
            json.WriteNumber("exit_code", exitCode);
            json.WriteString("time", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }

        error.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
