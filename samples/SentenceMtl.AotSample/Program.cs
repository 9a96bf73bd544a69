using System.Globalization;
using SentenceMtl;

// Usage: SentenceMtl.AotSample <saved multi-task model folder>
// Embeds two sentences with the packaged all-MiniLM-L6-v2, searches a small corpus, then loads the saved multi-task
// model and predicts. Prints plain lines (numbers in the invariant culture) that the AOT publish test reads.
if (args.Length != 1)
{
    Console.Error.WriteLine("Usage: SentenceMtl.AotSample <saved multi-task model folder>");
    return 2;
}

using (var encoder = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2"))
{
    var pair = encoder.Encode(["A man is playing a guitar.", "Someone plays an instrument."]);
    Console.WriteLine($"backend: {encoder.InferenceBackend}");
    Console.WriteLine($"embedding dimension: {pair[0].Length}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"similarity: {SentenceEncoder.CosineSimilarity(pair[0], pair[1]):F4}"));

    string[] corpus = ["The cat sits on the mat.", "Stocks fell sharply on Monday.", "A guitarist performs on stage.", "It will rain tomorrow."];
    var hits = SemanticSearch.Search(encoder.Encode(["music concert"]), encoder.Encode(corpus), topK: 2);
    foreach (var hit in hits[0])
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"search hit: {corpus[hit.CorpusIndex]} ({hit.Score:F4})"));
    }
}

using var model = MultiTaskModel.Load(args[0]);
foreach (var prediction in model.Predict(["the team won the match", "the new phone app has a bug"]))
{
    foreach (var task in prediction.Tasks)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"predict: {prediction.Text} | {task.Task} = {task.Label} ({task.Probabilities[task.LabelIndex]:F4})"));
    }
}

return 0;
