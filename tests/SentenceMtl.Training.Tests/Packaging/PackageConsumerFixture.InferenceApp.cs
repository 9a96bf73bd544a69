using System.Text.Json;

namespace SentenceMtl.Tests.Packaging;

// The app that only embeds, searches and predicts: it references SentenceMtl and one model package, nothing else.
public sealed partial class PackageConsumerFixture
{
    /// <summary>The inference app's project folder.</summary>
    public string InferenceApp => Path.Combine(root, "inference-app");

    /// <summary>Its <c>dotnet publish -r linux-x64</c> folder.</summary>
    public string InferencePublishOutput => Path.Combine(InferenceApp, "publish");

    /// <summary>What the published inference app printed.</summary>
    public string InferenceRun { get; private set; } = "";

    /// <summary>The packages its restore resolved (lower-case ids) and the bytes of their .nupkg files, the model
    /// package aside: what a first restore downloads.</summary>
    public IReadOnlyList<string> InferencePackages { get; private set; } = [];

    public long InferenceRestoreBytes { get; private set; }

    /// <summary>Bytes of the publish folder, its sentencemtl-models/ aside.</summary>
    public long InferencePublishBytesWithoutModel { get; private set; }

    private void BuildInferenceApp(Dictionary<string, string> environment)
    {
        Directory.CreateDirectory(InferenceApp);
        File.Copy(Path.Combine(App, "nuget.config"), Path.Combine(InferenceApp, "nuget.config"));
        File.WriteAllText(Path.Combine(InferenceApp, "Inference.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SentenceMtl" Version="{Version}" />
                <PackageReference Include="{ConsumedModelPackage}" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(InferenceApp, "Program.cs"), InferenceProgram);
        DotnetCli.Run(InferenceApp, StepTimeout, environment, "publish", "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            "-o", InferencePublishOutput, "--disable-build-servers");
        ReadInferenceRestore();
        InferencePublishBytesWithoutModel = Directory.GetFiles(InferencePublishOutput, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(InferencePublishOutput, f).StartsWith("sentencemtl-models", StringComparison.Ordinal))
            .Sum(f => new FileInfo(f).Length);
        string committed = Path.Combine(TestPaths.RepoRoot, "tests", "SentenceMtl.Tests", "MultiTask", "Fixtures", "multitask-v0.1.0");
        string saved = SavedModelFixture.Create(committed, root);
        InferenceRun = DotnetCli.Run(InferenceApp, StepTimeout, environment, Path.Combine(InferencePublishOutput, "Inference.dll"), saved);
    }

    private void ReadInferenceRestore()
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(InferenceApp, "obj", "project.assets.json")));
        string packages = assets.RootElement.GetProperty("packageFolders").EnumerateObject().First().Name;
        var libraries = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(p => p.Value.GetProperty("type").GetString() == "package")
            .Select(p => p.Name.Split('/') is [var id, var version] ? (Id: id.ToLowerInvariant(), Version: version.ToLowerInvariant()) : default)
            .ToList();
        InferencePackages = [.. libraries.Select(l => l.Id)];
        InferenceRestoreBytes = libraries.Where(l => l.Id != ConsumedModelPackage.ToLowerInvariant())
            .Sum(l => new FileInfo(Path.Combine(packages, l.Id, l.Version, $"{l.Id}.{l.Version}.nupkg")).Length);
    }

    // Embeds with the embedded all-MiniLM-L6-v2, searches, loads the saved multi-task model given as args[0] and
    // predicts, then lists the native libraries mapped from outside the .NET installation and the system.
    private const string InferenceProgram = """
        using SentenceMtl;

        using var encoder = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2");
        float[] vector = encoder.Encode(new[] { "A man is playing a guitar." })[0];
        Console.WriteLine(FormattableString.Invariant($"encode: length={vector.Length} norm={Math.Sqrt(vector.Sum(x => (double)x * x)):R}"));
        var corpus = encoder.Encode(new[] { "The cat sat on the mat.", "Someone plays an instrument.", "Stocks fell sharply." });
        var hit = SemanticSearch.Search(new[] { vector }, corpus, topK: 1)[0][0];
        Console.WriteLine(FormattableString.Invariant($"search: best={hit.CorpusIndex} score={hit.Score:R}"));
        using var model = MultiTaskModel.Load(args[0]);
        var prediction = model.Predict("the team won the match .");
        Console.WriteLine($"predict: {string.Join(' ', prediction.Tasks.Select(t => $"{t.Task}={t.Label}"))}");
        string runtime = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var native = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 6 && f[5].Contains(".so", StringComparison.Ordinal)).Select(f => f[5].Trim())
            .Where(p => !p.StartsWith(runtime, StringComparison.Ordinal) && !p.StartsWith("/lib", StringComparison.Ordinal) && !p.StartsWith("/usr/lib", StringComparison.Ordinal))
            .Distinct().ToList();
        Console.WriteLine("native-libraries: " + (native.Count == 0 ? "none" : string.Join(' ', native)));
        """;
}
