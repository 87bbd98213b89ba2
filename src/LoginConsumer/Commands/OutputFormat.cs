using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoginConsumer.Commands;

/// <summary><c>-o text|json</c> on the commands whose output a script may read.</summary>
public static class OutputFormat
{
    // Read by people and scripts, never embedded in HTML: '+' in a time zone offset stays '+', not \u002B.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Option<string> Create()
    {
        var option = new Option<string>("--output", "-o") { Description = "text (default) or json.", DefaultValueFactory = _ => "text" };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }

    public static bool IsJson(ParseResult parse, Option<string> option) => parse.GetValue(option) == "json";

    public static Task WriteAsync(TextWriter output, JsonNode document) => output.WriteLineAsync(document.ToJsonString(Indented));
}
