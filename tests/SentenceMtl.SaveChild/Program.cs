using SentenceMtl;

// Usage: SentenceMtl.SaveChild <model folder> <save folder>
// Loads a multi-task model and saves it over and over, printing "saved N" after each complete save, until killed.
TorchSharpNative.EnsureLoadable();
using var model = MultiTaskModel.Create(args[0]);
for (int n = 1; ; n++)
{
    model.Save(args[1]);
    Console.WriteLine($"saved {n}");
}
