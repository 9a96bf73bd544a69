extern alias ModelConverter;

namespace SentenceMtl.Tests;

/// <summary>Locations of the repository's own data (<c>data/</c> at the repository root).</summary>
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

    /// <summary>
    /// The built program of the helper project <c>tests/{project}</c> (a child process some tests start), in the
    /// configuration this test run was built in.
    /// </summary>
    public static string ChildProgram(string project)
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0
        return Path.Combine(RepoRoot, "tests", project, "bin", configuration, "net10.0", project + ".dll");
    }

    /// <summary>The repository's <c>data/</c> folder.</summary>
    public static string Data => Path.Combine(RepoRoot, "data");

    public static string Sentences => Path.Combine(Data, "bench", "sentences_10k.txt");

    public static string Paragraphs => Path.Combine(Data, "bench", "paragraphs_2k.txt");

    public static string NewsTrain => Path.Combine(Data, "news_train.jsonl");

    /// <summary>The repository's <c>models/{name}</c> folder (the embedded models' descriptors).</summary>
    public static string Model(string name) => Path.Combine(RepoRoot, "models", name);

    /// <summary>The original fp32 ONNX export of embedded model <paramref name="name"/>, read from its
    /// SentenceTransformers.* carrier package: the reference for parity with ONNX Runtime.</summary>
    public static byte[] OriginalOnnx(string name) =>
        ModelConverter::SentenceMtl.ModelConverter.OriginalOnnx.Read(Model(name), typeof(TestPaths).Assembly);
}
