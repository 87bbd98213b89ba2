using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoginConsumer.Masking;

/// <summary>Stops the process at start when the key settings are wrong, naming the setting; only Development may run on the built-in key.</summary>
public sealed class MaskingOptionsValidator(IHostEnvironment environment) : IValidateOptions<MaskingOptions>
{
    public ValidateOptionsResult Validate(string? name, MaskingOptions options)
    {
        var errors = KeyRing.Validate(options, environment.IsDevelopment());
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
