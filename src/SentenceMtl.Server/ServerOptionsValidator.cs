using Microsoft.Extensions.Options;

namespace SentenceMtl.Server;

/// <summary>
/// Checks every <see cref="ServerOptions"/> value when the server starts (registered with <c>ValidateOnStart</c>): the
/// one place the rules live. Each failure names the configuration key and the allowed range; all failures are reported
/// together, so that a start fixes them in one go.
/// </summary>
internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Failures(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>One message per value out of range: <c>Configuration SentenceMtl:KEY RULE.</c></summary>
    internal static IEnumerable<string> Failures(ServerOptions o)
    {
        var checks = new (bool Ok, string Key, string Rule)[]
        {
            (o.Model is null || !string.IsNullOrWhiteSpace(o.Model), nameof(o.Model),
                "must name a model (e.g. all-MiniLM-L6-v2) or a folder (or be unset for the default)"),
            (o.Classifier is null || !string.IsNullOrWhiteSpace(o.Classifier), nameof(o.Classifier),
                "must name a folder saved by MultiTaskModel.Save (or be unset for none)"),
            (o.MaxBatchTokens >= 1, nameof(o.MaxBatchTokens), "must be 1 or more"),
            (o.MaxBatchWait >= TimeSpan.Zero && o.MaxBatchWait <= TimeSpan.FromSeconds(10), nameof(o.MaxBatchWait),
                "must be from 00:00:00 to 00:00:10"),
            (o.MaxQueuedRequests >= 1, nameof(o.MaxQueuedRequests), "must be 1 or more"),
            (o.MaxConcurrentRequests >= 1, nameof(o.MaxConcurrentRequests), "must be 1 or more"),
            (o.MaxBufferedBodyBytes >= o.MaxRequestBodyBytes, nameof(o.MaxBufferedBodyBytes),
                $"must be at least SentenceMtl:MaxRequestBodyBytes ({o.MaxRequestBodyBytes}), or no body that large could be read"),
            (o.MaxRequestTokens >= 1, nameof(o.MaxRequestTokens), "must be 1 or more"),
            (o.MaxQueuedTokens >= o.MaxRequestTokens, nameof(o.MaxQueuedTokens),
                $"must be at least SentenceMtl:MaxRequestTokens ({o.MaxRequestTokens}), or no request that large could be queued"),
            (o.AdmissionTimeout >= TimeSpan.Zero && o.AdmissionTimeout <= TimeSpan.FromMinutes(1), nameof(o.AdmissionTimeout),
                "must be from 00:00:00 to 00:01:00"),
            (o.MaxInputsPerRequest >= 1, nameof(o.MaxInputsPerRequest), "must be 1 or more"),
            (o.MaxInputCharacters >= 1, nameof(o.MaxInputCharacters), "must be 1 or more"),
            (o.MaxRequestBodyBytes >= 1024, nameof(o.MaxRequestBodyBytes), "must be 1024 or more"),
            (o.Threads is null or >= 1, nameof(o.Threads), "must be 1 or more (or unset for every core)"),
            (Enum.IsDefined(o.Quantization), nameof(o.Quantization), "must be None or Int8"),
            (o.ApiKey is null || o.ApiKey.Length > 0, nameof(o.ApiKey), "must not be empty (unset it to require no key)"),
        };
        return checks.Where(check => !check.Ok).Select(check => $"Configuration {ServerOptions.SectionName}:{check.Key} {check.Rule}.");
    }
}
