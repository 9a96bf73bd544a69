using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Models;
using SentenceMtl.Server.Hosting;
using SentenceMtl.Server.Tests.Endpoints;

namespace SentenceMtl.Server.Tests.Hosting;

/// <summary>
/// What the server loads and says it serves: with <c>--classifier</c> alone, the classifier's own encoder serves the
/// embeddings (one backbone); with <c>--model</c> too, two; <c>/v1/models</c> (read by the official OpenAI client) and
/// <c>/info</c> name the classifier's tasks and labels; folders resolve against the current directory, and a missing one
/// is refused with its resolved path.
/// </summary>
public sealed class ServedModelsTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string tiny;
    private readonly string classifier;

    public ServedModelsTests()
    {
        tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));
        classifier = TinyClassifier.Save(tiny, Path.Combine(folder.Path, "heads"));
    }

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_classifier_alone_serves_the_embeddings_with_its_own_encoder_and_lists_its_tasks()
    {
        // Relative to the current directory, as a user types it.
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, classifier);
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Classifier"] = relative });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        var host = server.Services.GetRequiredService<ModelHost>();

        using var embedding = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/v1/embeddings", new { input = "a game" }));
        var models = await NewModelClient(server).GetModelsAsync();
        using var raw = await WireFormatTests.ReadAsync(await client.GetAsync("/v1/models"));
        using var info = await WireFormatTests.ReadAsync(await client.GetAsync("/info"));

        Assert.Same(host.Classifier!.Encoder, host.Encoder);
        using var reference = MultiTaskModel.Load(classifier);
        Assert.Equal(reference.Encoder.Encode("a game"),
            embedding.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        Assert.Equal("heads", Assert.Single(models.Value).Id);
        AssertTasks(Assert.Single(raw.RootElement.GetProperty("data").EnumerateArray()).GetProperty("tasks"));
        var served = info.RootElement.GetProperty("classifier");
        Assert.Equal("heads", served.GetProperty("name").GetString());
        Assert.True(served.GetProperty("shares_encoder").GetBoolean());
        AssertTasks(served.GetProperty("tasks"));
    }

    [Fact]
    public async Task Model_and_classifier_load_two_backbones_and_list_two_models()
    {
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny, ["Classifier"] = classifier });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        var host = server.Services.GetRequiredService<ModelHost>();

        var models = await NewModelClient(server).GetModelsAsync();
        using var raw = await WireFormatTests.ReadAsync(await client.GetAsync("/v1/models"));

        Assert.NotSame(host.Classifier!.Encoder, host.Encoder);
        Assert.Equal(["tiny", "heads"], models.Value.Select(model => model.Id));
        var entries = raw.RootElement.GetProperty("data").EnumerateArray().ToArray();
        Assert.False(entries[0].TryGetProperty("tasks", out _));
        AssertTasks(entries[1].GetProperty("tasks"));
    }

    [Fact]
    public async Task A_missing_folder_is_refused_with_its_resolved_path_and_the_setting()
    {
        var loader = new ModelLoader();
        string missing = Path.Combine("no", "such", "heads");

        var classifierError = await Assert.ThrowsAsync<ModelNotFoundException>(() => loader.LoadAsync(new ServerOptions { Classifier = missing }, default));
        var modelError = await Assert.ThrowsAsync<ModelNotFoundException>(() => loader.LoadAsync(new ServerOptions { Model = "./" + missing }, default));

        Assert.Contains(Path.GetFullPath(missing), classifierError.Message, StringComparison.Ordinal);
        Assert.Contains("SentenceMtl:Classifier", classifierError.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(missing), modelError.Message, StringComparison.Ordinal);
        Assert.Contains("SentenceMtl:Model", modelError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_whose_classifier_is_missing_exits_with_code_1()
    {
        using var error = new StringWriter();
        try
        {
            int exitCode = await ServerApp.RunAsync(["--urls", "http://127.0.0.1:0", "--classifier", Path.Combine(folder.Path, "missing")], error);

            Assert.Equal(1, exitCode);
            Assert.StartsWith("SentenceMtl.Server stopped: could not load the model: ", error.ToString(), StringComparison.Ordinal);
            Assert.Contains(Path.Combine(folder.Path, "missing") + ": no such folder", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Environment.ExitCode = 0;
        }
    }

    private static void AssertTasks(JsonElement tasks)
    {
        Assert.Equal(TinyClassifier.Tasks.Select(task => task.Name), tasks.EnumerateObject().Select(task => task.Name));
        foreach (var task in TinyClassifier.Tasks)
        {
            Assert.Equal(task.Labels, tasks.GetProperty(task.Name).EnumerateArray().Select(label => label.GetString()));
        }
    }

    private static OpenAIModelClient NewModelClient(ServerFactory server) => new(new ApiKeyCredential("unused"),
        new OpenAIClientOptions { Endpoint = new Uri(server.Address, "v1") });
}
