using System.CommandLine;
using LoginConsumer.Commands;

// The host handles SIGTERM/Ctrl+C itself and shuts down gracefully; the parser must not kill the process first.
return await LoginConsumerCommands.Create().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
