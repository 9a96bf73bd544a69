using System.Globalization;

namespace SentenceMtl.Demo;

/// <summary>
/// The front page's deployment step: the trained model saved into a temporary folder created here, loaded back with an
/// int8 encoder (as an app or the server would load it), its predictions made, and the folder deleted.
/// </summary>
internal static class SavedModelRoundTrip
{
    /// <summary>What the round trip produced.</summary>
    /// <param name="Predictions">The loaded copy's predictions, in text order.</param>
    /// <param name="Quantization">How the loaded copy's encoder ran: int8, or float32 where this machine cannot run int8.</param>
    /// <param name="Note">Why int8 was not used, or null.</param>
    /// <param name="Folder">The temporary folder the model was saved in, deleted by the time this is returned.</param>
    public sealed record Outcome(IReadOnlyList<SentencePrediction> Predictions, EncoderQuantization Quantization, string? Note, string Folder);

    /// <summary>Saves <paramref name="model"/>, loads it with int8 and predicts <paramref name="texts"/>, timing each stage.</summary>
    /// <remarks>Only the folder created here is deleted, whatever happens; nothing else is touched.</remarks>
    public static Outcome Run(MultiTaskModel model, IReadOnlyList<string> texts, StageTimes times, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("sentencemtl-demo-");
        try
        {
            string saved = Path.Combine(folder.FullName, "model");
            times.Measure("save", "backbone, tokenizer and heads, to a temporary folder", () => model.Save(saved));
            long bytes = new DirectoryInfo(saved).EnumerateFiles("*", SearchOption.AllDirectories).Sum(file => file.Length);

            string? note = null;
            var quantization = EncoderQuantization.Int8;
            MultiTaskModel loaded;
            try
            {
                loaded = times.Measure("load (int8)", string.Create(CultureInfo.InvariantCulture,
                        $"{bytes / 1e6:F1} MB, MultiTaskModel.Load with SentenceEncoderOptions {{ Quantization = Int8 }}"),
                    () => MultiTaskModel.Load(saved, new SentenceEncoderOptions { Quantization = EncoderQuantization.Int8 }));
            }
            catch (NotSupportedException ex)
            {
                note = $"int8 is not available on this machine ({ex.Message}); loaded in float32 instead.";
                quantization = EncoderQuantization.None;
                loaded = times.Measure("load (float32)", "int8 unavailable here", () => MultiTaskModel.Load(saved));
            }
            using (loaded)
            {
                var predictions = times.Measure($"predict ({QuantizedEvaluation.Name(quantization)})",
                    string.Create(CultureInfo.InvariantCulture, $"{texts.Count} sentences, {loaded.Encoder.InferenceBackend}"),
                    () => loaded.Predict(texts, cancellationToken));
                return new Outcome(predictions, quantization, note, folder.FullName);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
