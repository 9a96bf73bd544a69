namespace SentenceMtl.Fuzz;

/// <summary>
/// Feeds the input to both dataset readers, <see cref="MultiTaskDataset.FromJsonLines"/> and
/// <see cref="MultiTaskDataset.FromCsv"/>, with the default topic and sentiment tasks. Their contract for bad content
/// is a <see cref="DatasetFormatException"/>; any other exception escapes and afl-fuzz records the input as a crash.
/// </summary>
/// <remarks>
/// One target for both formats: the seeds hold JSONL and CSV files, and each reader also sees the other's inputs,
/// which is just more malformed input for it.
/// </remarks>
internal static class DatasetTarget
{
    private static readonly TaskDefinition[] Tasks = [TaskDefinition.Topic, TaskDefinition.Sentiment];

    // The readers take a path (the format comes from the method, not the extension), so each input is written to
    // the same file, in a directory of its own per process.
    private static readonly Lazy<string> InputPath = new(() =>
    {
        string directory = Directory.CreateTempSubdirectory("sentencemtl-fuzz-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        return Path.Combine(directory, "input");
    });

    public static void Run(Stream input)
    {
        string path = InputPath.Value;
        using (FileStream file = File.Create(path))
        {
            input.CopyTo(file);
        }

        try
        {
            MultiTaskDataset.FromJsonLines(path, Tasks);
        }
        catch (DatasetFormatException)
        {
        }

        try
        {
            MultiTaskDataset.FromCsv(path, Tasks);
        }
        catch (DatasetFormatException)
        {
        }
    }
}
