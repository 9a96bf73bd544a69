namespace SentenceMtl.Server.Tests;

/// <summary>
/// One server on the tiny model, with small limits (8 inputs, 200 characters, 4 KiB bodies) and a 20 ms batching
/// wait so that concurrent requests coalesce; and the same model loaded in-process, as the reference.
/// </summary>
public sealed class TinyServerFixture : IAsyncLifetime
{
    public const int MaxInputs = 8;
    public const int MaxCharacters = 200;
    public const int MaxBodyBytes = 4096;

    private readonly TempFolder folder = new();

    internal ServerFactory Server { get; private set; } = null!;

    public SentenceEncoder Reference { get; private set; } = null!;

    public string ModelPath { get; private set; } = null!;

    public HttpClient CreateClient() => Server.CreateClient();

    public async Task InitializeAsync()
    {
        ModelPath = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));
        Reference = SentenceEncoder.FromPretrained(ModelPath);
        Server = new ServerFactory(new Dictionary<string, string>
        {
            ["Model"] = ModelPath,
            ["MaxInputsPerRequest"] = MaxInputs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MaxInputCharacters"] = MaxCharacters.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MaxRequestBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MaxBatchWait"] = "00:00:00.020",
        });
        await Server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Reference.Dispose();
        folder.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class TinyServerCollection : ICollectionFixture<TinyServerFixture>
{
    public const string Name = "tiny server";
}
