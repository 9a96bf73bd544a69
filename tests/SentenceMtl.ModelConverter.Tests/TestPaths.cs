namespace SentenceMtl.ModelConverter.Tests;

/// <summary>Locations in the repository: the model descriptors under <c>models/</c>.</summary>
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

    /// <summary>The repository's <c>models/{name}</c> folder.</summary>
    public static string Model(string name) => Path.Combine(RepoRoot, "models", name);

    /// <summary>The original ONNX export of <paramref name="name"/>, from its carrier package.</summary>
    public static byte[] OriginalOnnx(string name) => ModelConverter.OriginalOnnx.Read(Model(name), typeof(TestPaths).Assembly);
}
