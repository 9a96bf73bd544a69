using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SentenceMtl.Server.Tests;

/// <summary>The settings come from the standard configuration sources, the short switches included, and a value out of
/// range stops the start with a message naming its key.</summary>
public sealed class ServerOptionsTests
{
    [Fact]
    public async Task Short_switches_and_section_keys_bind_from_the_command_line()
    {
        await using var app = ServerApp.Build(["--model", "/models/mine", "--classifier", "/models/heads", "--api-key", "k",
            "--SentenceMtl:MaxBatchTokens", "512", "--SentenceMtl:MaxBatchWait", "00:00:00.005", "--SentenceMtl:Threads", "1"]);

        var options = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;

        Assert.Equal("/models/mine", options.Model);
        Assert.Equal("/models/heads", options.Classifier);
        Assert.Equal("k", options.ApiKey);
        Assert.Equal(512, options.MaxBatchTokens);
        Assert.Equal(TimeSpan.FromMilliseconds(5), options.MaxBatchWait);
        Assert.Equal(1, options.Threads);
    }

    [Fact]
    public async Task Defaults_serve_all_minilm_with_the_documented_limits()
    {
        await using var app = ServerApp.Build([]);

        var options = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;

        // Unset: all-MiniLM-L6-v2 is served (ServerOptions.DefaultModel), or the classifier's own encoder when one is set.
        Assert.Null(options.Model);
        Assert.Equal("all-MiniLM-L6-v2", ServerOptions.DefaultModel);
        Assert.Null(options.Classifier);
        Assert.Null(options.ApiKey);
        Assert.Equal(2048, options.MaxInputsPerRequest);
        Assert.Equal(8 * 1024 * 1024, options.MaxRequestBodyBytes);
    }

    [Theory]
    [InlineData("MaxBatchTokens", "0")]
    [InlineData("MaxInputsPerRequest", "-1")]
    [InlineData("MaxBatchWait", "00:01:00")]
    [InlineData("Threads", "0")]
    [InlineData("ApiKey", "")]
    public async Task A_value_out_of_range_stops_the_start_naming_its_key(string key, string value)
    {
        // Building the application already reads the options (Kestrel's limits depend on them).
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = ServerApp.Build(["--urls", "http://127.0.0.1:0", $"--SentenceMtl:{key}", value]);
            await app.StartAsync();
        });

        Assert.Contains($"SentenceMtl:{key}", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxBatchTokens", "0", "must be 1 or more")]
    [InlineData("MaxBatchTokens", "abc", "System.Int32")]
    [InlineData("Quantization", "Int4", "Quantization")]
    public async Task Invalid_configuration_exits_with_code_1_and_says_why(string key, string value, string reason)
    {
        using var error = new StringWriter();

        int exitCode = await ServerApp.RunAsync(["--urls", "http://127.0.0.1:0", $"--SentenceMtl:{key}", value], error);

        Assert.Equal(1, exitCode);
        string message = error.ToString();
        Assert.StartsWith("SentenceMtl.Server could not start: ", message, StringComparison.Ordinal);
        Assert.Contains($"SentenceMtl:{key}", message, StringComparison.Ordinal);
        Assert.Contains(reason, message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_value_out_of_range_is_reported_at_once_by_the_validator()
    {
        var options = new ServerOptions { MaxBatchTokens = 0, MaxRequestTokens = 10, MaxQueuedTokens = 5, Threads = 0 };

        var result = new ServerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(
        [
            "Configuration SentenceMtl:MaxBatchTokens must be 1 or more.",
            "Configuration SentenceMtl:MaxQueuedTokens must be at least SentenceMtl:MaxRequestTokens (10), or no request that large could be queued.",
            "Configuration SentenceMtl:Threads must be 1 or more (or unset for every core).",
        ], result.Failures);
        Assert.True(new ServerOptionsValidator().Validate(null, new ServerOptions()).Succeeded);
    }
}
