using System.Globalization;
using System.Runtime.CompilerServices;
using SentenceMtl;

// Usage:
//   SentenceMtl.EncodeChild <model name>
//     Loads the model (an embedded one: sentencemtl-models/<name>/ beside this program) and prints
//     "encode: length=N norm=X" for one sentence.
//   SentenceMtl.EncodeChild --encoder <model> | --torchsharp <model>
//     Embeds the texts read from stdin (one per line) with SentenceEncoder.FromPretrained and its defaults (the
//     inference engine), or on libtorch (UseInferenceEngine = false), prints one line "vector: x1 x2 …" per text (round-trip floats), then what the
//     process loaded: "native-libtorch: none" or the mapped files whose names contain libtorch / LibTorchSharp
//     (from /proc/self/maps), and "torchsharp-assembly: loaded" or "not loaded".
//   SentenceMtl.EncodeChild --train-heads <model> <data.jsonl>
//     Trains topic and sentiment heads (HeadsOnly, 3 epochs, seed 7) on the file and prints "width: N" (the widest
//     accelerated vector width, 0 for none) and one line "weight: name hex" per head parameter (its float bits).
// Each mode is its own method, so compiling one never resolves the other's types.
if (args is ["--encoder", var encoderModel])
{
    PrintVectors(EncodeWithEncoder(encoderModel, ReadTexts(), useEngine: true));
}
else if (args is ["--torchsharp", var torchModel])
{
    PrintVectors(EncodeWithEncoder(torchModel, ReadTexts(), useEngine: false));
}
else if (args is ["--train-heads", var trainModel, var dataPath])
{
    TrainHeads(trainModel, dataPath);
}
else
{
    EncodeOne(args[0]);
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

[MethodImpl(MethodImplOptions.NoInlining)]
static float[][] EncodeWithEncoder(string model, List<string> texts, bool useEngine)
{
    using var encoder = SentenceEncoder.FromPretrained(model, new SentenceEncoderOptions { UseInferenceEngine = useEngine });
    return encoder.Encode(texts);
}

[MethodImpl(MethodImplOptions.NoInlining)]
static void EncodeOne(string model)
{
    using var encoder = SentenceEncoder.FromPretrained(model);
    float[] vector = encoder.Encode(["A man is playing a guitar."])[0];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"encode: length={vector.Length} norm={Math.Sqrt(vector.Sum(x => (double)x * x)):R}"));
}

[MethodImpl(MethodImplOptions.NoInlining)]
static void TrainHeads(string modelName, string dataPath)
{
    var data = MultiTaskDataset.Load(dataPath, [TaskDefinition.Topic, TaskDefinition.Sentiment]);
    using var model = MultiTaskModel.Create(modelName, new MultiTaskModelOptions { Seed = 7 });
    new MultiTaskTrainer(model, new TrainerOptions { Epochs = 3, Seed = 7 }).Train(data);
    bool wide = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
    bool mid = System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated;
    bool narrow = System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated;
    Console.WriteLine($"width: {(wide ? 512 : mid ? 256 : narrow ? 128 : 0)}");
    foreach (var (name, parameter) in model.AllParametersByName().Where(p => p.Name.StartsWith("heads.", StringComparison.Ordinal)))
    {
        float[] values = parameter.data<float>().ToArray();
        Console.WriteLine($"weight: {name} {Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()))}");
    }
}

// Vectors first, then what this process has loaded by now (after the encoder ran and was disposed).
static void PrintVectors(float[][] vectors)
{
    foreach (var vector in vectors)
    {
        Console.WriteLine("vector: " + string.Join(' ', vector.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
    }

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
