using System.Globalization;
using SentenceMtl;

// Usage:
//   SentenceMtl.EncodeChild <model name>
//     Loads the model (an embedded one: sentencemtl-models/<name>/ beside this program) and prints
//     "encode: length=N norm=X" for one sentence.
//   SentenceMtl.EncodeChild --encoder <model>
//     Embeds the texts read from stdin (one per line) with SentenceEncoder.FromPretrained and its defaults, prints one
//     line "vector: x1 x2 …" per text (round-trip floats), then what the process loaded (see PrintLoaded).
//   SentenceMtl.EncodeChild --predict <saved model folder>
//     Loads a saved MultiTaskModel, predicts the texts read from stdin and prints one line "prediction: task label p1 p2 …"
//     per text and task, then what the process loaded.
// This program references the core package alone, as an application that only embeds or predicts does.
if (args is ["--encoder", var encoderModel])
{
    using var encoder = SentenceEncoder.FromPretrained(encoderModel);
    foreach (var vector in encoder.Encode(ReadTexts()))
    {
        Console.WriteLine("vector: " + string.Join(' ', vector.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
    }

    PrintLoaded();
}
else if (args is ["--predict", var modelFolder])
{
    using var model = MultiTaskModel.Load(modelFolder);
    foreach (var prediction in model.Predict(ReadTexts()))
    {
        foreach (var task in prediction.Tasks)
        {
            Console.WriteLine($"prediction: {task.Task} {task.Label} " + string.Join(' ', task.Probabilities.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
        }
    }

    PrintLoaded();
}
else
{
    using var encoder = SentenceEncoder.FromPretrained(args[0]);
    float[] vector = encoder.Encode(["A man is playing a guitar."])[0];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"encode: length={vector.Length} norm={Math.Sqrt(vector.Sum(x => (double)x * x)):R}"));
}

return;

static List<string> ReadTexts()
{
    var texts = new List<string>();
    while (Console.In.ReadLine() is { } line)
    {
        texts.Add(line);
    }

    return texts;
}

// What this process has loaded by now: the native libraries mapped from outside the .NET installation (its host and
// shared runtime) and the system's library folders ("native-libraries: none", or their paths), and whether any file with libtorch in its name is
// mapped, and whether the TorchSharp assembly was loaded.
static void PrintLoaded()
{
    // shared/Microsoft.NETCore.App/<version>/ → the installation's root, which also holds host/fxr.
    string runtime = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
    var libraries = File.ReadLines("/proc/self/maps")
        .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
        .Where(fields => fields.Length == 6 && fields[5].Trim().Contains(".so", StringComparison.Ordinal))
        .Select(fields => fields[5].Trim())
        .Where(path => !path.StartsWith(runtime, StringComparison.Ordinal) && !path.StartsWith("/lib", StringComparison.Ordinal)
            && !path.StartsWith("/usr/lib", StringComparison.Ordinal))
        .Distinct()
        .ToList();
    Console.WriteLine("native-libraries: " + (libraries.Count == 0 ? "none" : string.Join(' ', libraries)));
    var mapped = File.ReadLines("/proc/self/maps")
        .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
        .Where(fields => fields.Length == 6 && Path.GetFileName(fields[5].Trim()).Contains("libtorch", StringComparison.OrdinalIgnoreCase))
        .Select(fields => fields[5].Trim())
        .Distinct()
        .ToList();
    Console.WriteLine("native-libtorch: " + (mapped.Count == 0 ? "none" : string.Join(' ', mapped)));
    bool torchSharp = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp");
    Console.WriteLine("torchsharp-assembly: " + (torchSharp ? "loaded" : "not loaded"));
}
