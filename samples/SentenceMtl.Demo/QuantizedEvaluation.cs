namespace SentenceMtl.Demo;

/// <summary>
/// Evaluates a trained model's weights with another quantization of its encoder, without training again: the model is
/// saved into a temporary folder created here, loaded from it with that quantization, evaluated, and the folder deleted.
/// </summary>
internal static class QuantizedEvaluation
{
    /// <summary>The reports of <paramref name="model"/>'s weights on <paramref name="test"/>, predicted with <paramref name="quantization"/>.</summary>
    /// <exception cref="NotSupportedException">This machine cannot run <paramref name="quantization"/> (the message says why).</exception>
    public static IReadOnlyDictionary<string, ClassificationReport> Evaluate(MultiTaskModel model, EncoderQuantization quantization,
        MultiTaskDataset test, CancellationToken cancellationToken)
    {
        if (model.Encoder.Quantization == quantization)
        {
            return model.Evaluate(test, cancellationToken);
        }
        var folder = Directory.CreateTempSubdirectory("sentencemtl-demo-");
        try
        {
            string saved = Path.Combine(folder.FullName, "model");
            model.Save(saved);
            using var copy = MultiTaskModel.Load(saved, new SentenceEncoderOptions { Quantization = quantization });
            return copy.Evaluate(test, cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>The name of <paramref name="quantization"/> in tables: <c>float32</c> or <c>int8</c>.</summary>
    public static string Name(EncoderQuantization quantization) => quantization == EncoderQuantization.Int8 ? "int8" : "float32";
}
