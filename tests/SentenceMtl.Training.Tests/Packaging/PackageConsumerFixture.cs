using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using SentenceMtl.Native;

namespace SentenceMtl.Tests.Packaging;

/// <summary>
/// Packs SentenceMtl, SentenceMtl.Training and the two model packages into a local feed, creates two fresh console apps
/// outside the repository (so none of its build settings apply): one that references SentenceMtl.Training and
/// SentenceMtl.Models.AllMiniLML6V2 (so only that model reaches it) and trains, which it builds, runs, publishes and
/// runs again; and one that references SentenceMtl alone with that model and embeds, searches and predicts
/// (PackageConsumerFixture.InferenceApp.cs). Everything is recorded for <see cref="PackageConsumerTests"/> to check; everything is deleted afterwards,
/// including the test version's folders in the NuGet package cache.
/// </summary>
/// <remarks>
/// Each run packs a version of its own (<c>0.1.0-test.…</c>), so the package cache never serves a stale copy, while
/// TorchSharp and its native packages come from the normal cache.
/// </remarks>
public sealed partial class PackageConsumerFixture : IDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(10);

    private readonly string root;

    public PackageConsumerFixture()
    {
        root = Directory.CreateTempSubdirectory("sentencemtl-packaging").FullName;
        try
        {
            Build();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The package version this run packed.</summary>
    public string Version { get; private set; } = "";

    /// <summary>The local feed holding the .nupkg and .snupkg files.</summary>
    public string Feed => Path.Combine(root, "feed");

    /// <summary>The consumer app's project folder.</summary>
    public string App => Path.Combine(root, "app");

    /// <summary>The consumer's build output folder.</summary>
    public string BuildOutput => Path.Combine(App, "bin", "Release", "net10.0");

    /// <summary>The consumer's publish folder.</summary>
    public string PublishOutput => Path.Combine(App, "publish");

    /// <summary>The NuGet global packages folder the consumer restored into.</summary>
    public string PackagesFolder { get; private set; } = "";

    /// <summary>What the built app printed (encode, native-library outcome, training).</summary>
    public string BuiltRun { get; private set; } = "";

    /// <summary>What the published app printed (encode, native-library outcome).</summary>
    public string PublishedRun { get; private set; } = "";

    /// <summary>TorchSharp's native library in the package cache, the package's own copy inside its .nupkg, and its
    /// SHA-256 before and after the consumer ran (null off Linux x64).</summary>
    public string? CachedNativeLibrary { get; private set; }

    public string? NativeHashInNupkg { get; private set; }

    public string? NativeHashBefore { get; private set; }

    public string? NativeHashAfter { get; private set; }

    /// <summary>Whether the app's own copy of the native library had its GLIBCXX_3.4.32 requirement marked weak
    /// right after the built (resp. published) app ran. The build opts out of the package's build step, so the built
    /// app's copy is marked by the run-time fallback; the publish keeps the default.</summary>
    public bool BuiltNativeWeak { get; private set; }

    public bool PublishedNativeWeak { get; private set; }

    /// <summary>Whether the published copy was already weak right after publishing, before the app ran.</summary>
    public bool PublishedNativeWeakBeforeRun { get; private set; }

    /// <summary>The model packages (project folder = package id), each packed; the app references the first.</summary>
    public static readonly IReadOnlyList<string> ModelPackages = ["SentenceMtl.Models.AllMiniLML6V2", "SentenceMtl.Models.SnowflakeArcticEmbedXs"];

    /// <summary>The library packages: the core and the training package.</summary>
    public static readonly IReadOnlyList<string> LibraryPackages = ["SentenceMtl", "SentenceMtl.Training"];

    /// <summary>The model package the consumer app references.</summary>
    public static string ConsumedModelPackage => ModelPackages[0];

    public string Nupkg(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    public string Snupkg(string id) => Path.Combine(Feed, $"{id}.{Version}.snupkg");

    private void Build()
    {
        string repo = TestPaths.RepoRoot;
        if (Path.GetFullPath(root).StartsWith(Path.GetFullPath(repo), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The temporary folder {root} is inside the repository {repo}.");
        }

        // 1. Pack into the local feed; builds go to a private artifacts folder, away from the repository's bin/obj.
        string suffix = $"test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string artifacts = Path.Combine(root, "artifacts");
        foreach (string project in ModelPackages.Concat(LibraryPackages).Select(id => $"src/{id}"))
        {
            DotnetCli.Run(repo, StepTimeout, null, "pack", project, "-c", "Release", "-o", Feed,
                "--artifacts-path", artifacts, $"-p:VersionSuffix={suffix}", "--disable-build-servers");
        }

        string models = Directory.GetFiles(Feed, $"{ConsumedModelPackage}.*.nupkg").Single();
        Version = Path.GetFileName(models)[(ConsumedModelPackage.Length + 1)..^".nupkg".Length];

        // 2. A fresh app that knows SentenceMtl only through two packages: the library and one model.
        Directory.CreateDirectory(App);
        File.WriteAllText(Path.Combine(App, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="sentencemtl-local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(App, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SentenceMtl.Training" Version="{Version}" />
                <PackageReference Include="{ConsumedModelPackage}" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(App, "Program.cs"), ConsumerProgram);

        // The hub stays out of it: the embedded model must load offline.
        var environment = new Dictionary<string, string>
        {
            ["HF_HUB_OFFLINE"] = "1",
            ["HF_HOME"] = Path.Combine(root, "hf"),
        };

        // 3. Build (without the package's native build step, so the run-time fallback is what fixes this copy), run,
        //    publish (with it), run the published app.
        DotnetCli.Run(App, StepTimeout, environment, "build", "-c", "Release", "-p:SentenceMtlWeakenGlibcxxRequirement=false",
            "--disable-build-servers");
        ReadRestoreResult();
        NativeHashBefore = CachedNativeLibrary is null ? null : Sha256(File.ReadAllBytes(CachedNativeLibrary));
        BuiltRun = DotnetCli.Run(App, StepTimeout, environment, Path.Combine(BuildOutput, "Consumer.dll"));
        BuiltNativeWeak = IsWeak(BuildOutput);
        DotnetCli.Run(App, StepTimeout, environment, "publish", "-c", "Release", "-o", PublishOutput, "--disable-build-servers");
        PublishedNativeWeakBeforeRun = IsWeak(PublishOutput);
        PublishedRun = DotnetCli.Run(App, StepTimeout, environment, Path.Combine(PublishOutput, "Consumer.dll"), "encode-only");
        PublishedNativeWeak = IsWeak(PublishOutput);
        NativeHashAfter = CachedNativeLibrary is null ? null : Sha256(File.ReadAllBytes(CachedNativeLibrary));

        // 4. Publish for linux-x64, make it read-only, run it as an unprivileged user (PackageConsumerFixture.ReadOnlyRun.cs).
        PublishReadOnlyAndRunUnprivileged(environment);

        // 5. Restore a linux-only project that prunes the other systems' libtorch (PackageConsumerFixture.LinuxOnlyRestore.cs).
        RestoreLinuxOnly(environment);

        // 6. The app that references the core alone: restore, publish for linux-x64, run (PackageConsumerFixture.InferenceApp.cs).
        BuildInferenceApp(environment);
    }

    // The package folder and TorchSharp's version, as NuGet resolved them for the consumer.
    private void ReadRestoreResult()
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(App, "obj", "project.assets.json")));
        PackagesFolder = assets.RootElement.GetProperty("packageFolders").EnumerateObject().First().Name;
        string torchSharp = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(p => p.Name).Single(n => n.StartsWith("TorchSharp/", StringComparison.Ordinal));
        string version = torchSharp["TorchSharp/".Length..];
        string packageDir = Path.Combine(PackagesFolder, "torchsharp", version.ToLowerInvariant());
        const string entry = "runtimes/linux-x64/native/libLibTorchSharp.so";
        string cached = Path.Combine(packageDir, entry);
        if (!File.Exists(cached))
        {
            return;
        }

        CachedNativeLibrary = cached;
        using var nupkg = ZipFile.OpenRead(Path.Combine(packageDir, $"torchsharp.{version.ToLowerInvariant()}.nupkg"));
        using var stream = nupkg.GetEntry(entry)!.Open();
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        NativeHashInNupkg = Sha256(bytes.ToArray());
    }

    private static bool IsWeak(string appFolder)
    {
        string library = Path.Combine(appFolder, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(library)
            && ElfImage.Read(library).RequiredVersions().Any(r => r.Version == TorchSharpNative.RequiredVersion && (r.Flags & ElfImage.VerFlagWeak) != 0);
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    public void Dispose()
    {
        DeleteFolder(root);
        if (Version.Length > 0)
        {
            string packages = PackagesFolder.Length > 0
                ? PackagesFolder
                : Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                    ? p
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (string id in ModelPackages.Concat(LibraryPackages).Select(id => id.ToLowerInvariant()))
            {
                DeleteFolder(Path.Combine(packages, id, Version.ToLowerInvariant()));
            }
        }
    }

    private static void DeleteFolder(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary folder is harmless.
        }
    }

    // Encodes with the embedded all-MiniLM-L6-v2, reports the native-library outcome, and (unless "encode-only")
    // trains topic + sentiment heads for two epochs on ten inline examples. One "key: value …" line per step.
    private const string ConsumerProgram = """
        using SentenceMtl;

        using var encoder = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2");
        float[] vector = encoder.Encode(new[] { "A man is playing a guitar." })[0];
        Console.WriteLine(FormattableString.Invariant($"encode: length={vector.Length} norm={Math.Sqrt(vector.Sum(x => (double)x * x)):R}"));
        Console.WriteLine($"native: {TorchSharpNative.EnsureLoadable()}");
        if (args.Contains("encode-only"))
        {
            return;
        }

        var tasks = new[] { TaskDefinition.Topic, TaskDefinition.Sentiment };
        static MultiTaskExample Example(string text, string topic, string sentiment) =>
            new(text, new Dictionary<string, string> { ["topic"] = topic, ["sentiment"] = sentiment });
        var train = MultiTaskDataset.Create(tasks, new[]
        {
            Example("The new phone has a faster chip and a brighter screen.", "Technology", "Positive"),
            Example("The laptop keeps crashing after the update.", "Technology", "Negative"),
            Example("The team won the championship in overtime.", "Sports", "Positive"),
            Example("The striker was injured and will miss the season.", "Sports", "Negative"),
            Example("Parliament passed the budget after a long debate.", "Politics", "Neutral"),
            Example("The senator was caught lying about the scandal.", "Politics", "Negative"),
            Example("The film was a delight from start to finish.", "Entertainment", "Positive"),
            Example("The concert starts at eight tonight.", "Entertainment", "Neutral"),
            Example("Regular exercise lowers the risk of heart disease.", "Health", "Positive"),
            Example("The clinic reported more flu cases this week.", "Health", "Neutral"),
        });
        using var model = MultiTaskModel.Create("all-MiniLM-L6-v2", train);
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 2 }).Train(train);
        var prediction = model.Predict("The goalkeeper saved a penalty.");
        Console.WriteLine(FormattableString.Invariant($"train: epochs={result.Epochs.Count} loss={result.Epochs[^1].Loss:R} ") +
            $"topic={prediction["topic"].Label} sentiment={prediction["sentiment"].Label}");
        """;
}
