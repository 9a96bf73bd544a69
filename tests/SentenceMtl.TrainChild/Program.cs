using System.Globalization;
using SentenceMtl;

// Usage:
//   SentenceMtl.TrainChild --train-heads <model> <data.jsonl>
//     Trains topic and sentiment heads (HeadsOnly, 3 epochs, seed 7) on the file and prints "width: N" (the widest
//     accelerated vector width, 0 for none) and one line "weight: name hex" per head weight (its float bits).
//   SentenceMtl.TrainChild --torchsharp <model>
//     Embeds the texts read from stdin (one per line) on libtorch (the training package's TorchSharp backbone) and
//     prints one line "vector: x1 x2 …" per text (round-trip floats).
if (args is ["--train-heads", var trainModel, var dataPath])
{
    var data = MultiTaskDataset.Load(dataPath, [TaskDefinition.Topic, TaskDefinition.Sentiment]);
    using var model = MultiTaskModel.Create(trainModel, new MultiTaskModelOptions { Seed = 7, Tasks = [TaskDefinition.Topic, TaskDefinition.Sentiment] });
    new MultiTaskTrainer(model, new TrainerOptions { Epochs = 3, Seed = 7 }).Train(data);
    bool wide = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
    bool mid = System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated;
    bool narrow = System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated;
    Console.WriteLine($"width: {(wide ? 512 : mid ? 256 : narrow ? 128 : 0)}");
    foreach (var (task, state) in model.HeadStateDicts()!)
    {
        foreach (var (name, tensor) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"weight: heads.{task}.{name} {Convert.ToHexString(tensor.Bytes)}");
        }
    }
}
else if (args is ["--torchsharp", var torchModel])
{
    var texts = new List<string>();
    while (Console.In.ReadLine() is { } line)
    {
        texts.Add(line);
    }

    using var encoder = SentenceEncoder.FromPretrained(torchModel);
    using var torchEncoder = TorchEncoder.Create(encoder, TorchSharp.torch.CPU);
    using var embeddings = torchEncoder.EncodeToTensor(texts, CancellationToken.None);
    var values = embeddings.data<float>().ToArray();
    for (int i = 0; i < texts.Count; i++)
    {
        Console.WriteLine("vector: " + string.Join(' ', values.AsSpan(i * encoder.Dimension, encoder.Dimension).ToArray()
            .Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
    }
}
else
{
    Console.Error.WriteLine("usage: SentenceMtl.TrainChild --train-heads <model> <data.jsonl> | --torchsharp <model>");
    return 2;
}

return 0;
