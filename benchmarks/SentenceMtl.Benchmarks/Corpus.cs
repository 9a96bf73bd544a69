namespace SentenceMtl.Benchmarks;

/// <summary>A named list of benchmark texts read from the repository's <c>data/bench/</c> folder.</summary>
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
        "sentences" => DataPath("bench", "sentences_10k.txt"),
        "paragraphs" => DataPath("bench", "paragraphs_2k.txt"),
        _ => throw new ArgumentException($"Unknown corpus '{name}' (sentences or paragraphs).", nameof(name)),
    };

    /// <summary>
    /// A path under the repository's <c>data/</c> folder, found by walking up from the executable (which also works from
    /// BenchmarkDotNet's build folders) or the working directory to the folder holding <c>SentenceMtl.sln</c>.
    /// </summary>
    public static string DataPath(params string[] parts) => Path.Combine([DataDirectory.Value, .. parts]);

    private static readonly Lazy<string> DataDirectory = new(FindData);

    private static string FindData()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SentenceMtl.sln")))
                {
                    return Path.Combine(dir.FullName, "data");
                }
            }
        }

        throw new DirectoryNotFoundException("No SentenceMtl.sln above the executable or the working directory: run the benchmarks from the repository.");
    }
}
