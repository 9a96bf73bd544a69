namespace SentenceMtl.Benchmarks;

/// <summary>A named list of benchmark texts read from the shared <c>bench/</c> folder.</summary>
/// <param name="Name">"sentences" or "paragraphs".</param>
/// <param name="Texts">The first lines of the file.</param>
internal sealed record Corpus(string Name, string[] Texts)
{
    /// <summary>The 2,000 short texts and 400 paragraphs the issue asks to measure.</summary>
    public static IReadOnlyList<Corpus> Standard => [Load("sentences", 2000), Load("paragraphs", 400)];

    /// <summary>Loads the first <paramref name="count"/> lines of corpus <paramref name="name"/>.</summary>
    public static Corpus Load(string name, int count) => new(name, [.. File.ReadLines(PathOf(name)).Take(count)]);

    /// <summary>The file behind corpus <paramref name="name"/>.</summary>
    public static string PathOf(string name) => name switch
    {
        "sentences" => SharedPath("bench", "sentences_10k.txt"),
        "paragraphs" => SharedPath("bench", "paragraphs_2k.txt"),
        _ => throw new ArgumentException($"Unknown corpus '{name}' (sentences or paragraphs).", nameof(name)),
    };

    /// <summary>
    /// A path under the shared data folder: <c>$SENTENCEMTL_SHARED</c>, else the first <c>shared/</c> folder found
    /// walking up from the executable (which also works from BenchmarkDotNet's build folders) or the working directory.
    /// </summary>
    public static string SharedPath(params string[] parts) => Path.Combine([SharedDirectory.Value, .. parts]);

    private static readonly Lazy<string> SharedDirectory = new(FindShared);

    private static string FindShared()
    {
        if (Environment.GetEnvironmentVariable("SENTENCEMTL_SHARED") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "shared");
                if (File.Exists(Path.Combine(candidate, "bench", "sentences_10k.txt")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("No shared/bench/sentences_10k.txt above the executable; set SENTENCEMTL_SHARED.");
    }
}
