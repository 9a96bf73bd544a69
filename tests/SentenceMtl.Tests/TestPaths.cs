namespace SentenceMtl.Tests;

/// <summary>Locations of the shared data (<c>../shared</c> beside the repository, or <c>$SENTENCEMTL_SHARED</c>).</summary>
internal static class TestPaths
{
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SentenceMtl.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("SentenceMtl.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Shared =>
        Environment.GetEnvironmentVariable("SENTENCEMTL_SHARED") is { Length: > 0 } s ? s : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Sentences => Path.Combine(Shared, "bench", "sentences_10k.txt");

    public static string Paragraphs => Path.Combine(Shared, "bench", "paragraphs_2k.txt");

    public static string NewsTrain => Path.Combine(Shared, "data", "news_train.jsonl");
}
