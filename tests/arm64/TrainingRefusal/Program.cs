using SentenceMtl;

// Usage: SentenceMtl.TrainingRefusal <saved multi-task model folder>
// Loads and predicts with the core, then asks MultiTaskTrainer to train. Prints "refused: <message>" and exits 0 when
// Train throws PlatformNotSupportedException naming this platform; exits 1 when it trains, throws anything else, or
// names another platform. A process abort (the failure this guards against) exits with the signal's status.
if (args.Length != 1)
{
    Console.Error.WriteLine("Usage: SentenceMtl.TrainingRefusal <saved multi-task model folder>");
    return 2;
}

using var model = MultiTaskModel.Load(args[0]);
var prediction = model.Predict("the team won the match");
Console.WriteLine($"predicted (core, before training): {string.Join(", ", model.Tasks.Select(t => $"{t.Name}={prediction[t.Name].Label}"))}");
var examples = Enumerable.Range(0, 4).Select(i => new MultiTaskExample($"example sentence {i}",
    model.Tasks.ToDictionary(t => t.Name, t => t.Labels[i % t.Labels.Count])));
var data = MultiTaskDataset.Create(model.Tasks, [.. examples]);
string platform = $"{(OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "win" : "osx")}-{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
try
{
    new MultiTaskTrainer(model).Train(data);
    Console.WriteLine($"trained on {platform}: no refusal");
    return 1;
}
catch (PlatformNotSupportedException e)
{
    Console.WriteLine($"refused: {e.Message}");
    bool names = e.Message.Contains(platform, StringComparison.Ordinal);
    Console.WriteLine(names ? $"the message names {platform}" : $"the message does not name {platform}");
    return names ? 0 : 1;
}
