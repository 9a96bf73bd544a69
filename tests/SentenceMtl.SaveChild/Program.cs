using SentenceMtl;
using SentenceMtl.SaveChild;

// Usage: SentenceMtl.SaveChild <model folder> <save folder>
//   Loads a multi-task model, trains its heads for one epoch, and saves it over and over, printing "saved N" after each complete save, until killed.
// Usage: SentenceMtl.SaveChild stress-dispose|stress-freeze|stress-train <model folder> <seconds>
//   Runs concurrency rounds for about that long (see Stress) and prints "ok N rounds"; a crash ends the process with
//   the signal's exit code, an unexpected exception with exit code 3.
TorchSharpNative.EnsureLoadable();
if (args[0].StartsWith("stress-", StringComparison.Ordinal))
{
    return Stress.Run(args[0], args[1], TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)));
}

using var model = MultiTaskModel.Create(args[0], Stress.Dataset());
new MultiTaskTrainer(model, new TrainerOptions { Epochs = 1 }).Train(Stress.Dataset());
for (int n = 1; ; n++)
{
    model.Save(args[1]);
    Console.WriteLine($"saved {n}");
}
