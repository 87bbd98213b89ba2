using LoginConsumer.Commands;

return await LoginConsumerCommands.InvokeAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
