using SentenceMtl.Modeling.Bert;
using SentenceMtl.Serialization;

namespace SentenceMtl.Fuzz;

/// <summary>
/// Feeds the input to <see cref="BertConfig.FromJson"/> (a Hugging Face <c>config.json</c>) and, when it is accepted,
/// works out the weight shapes it implies (<see cref="BertWeightShapes.For"/>), which must stay small for any
/// accepted config. The contract for bad content is a <see cref="ModelFormatException"/>; any other exception escapes
/// and afl-fuzz records the input as a crash.
/// </summary>
internal static class ConfigTarget
{
    public static void Run(Stream input)
    {
        using var reader = new StreamReader(input);
        string json = reader.ReadToEnd();
        try
        {
            var config = BertConfig.FromJson(json, "fuzz/config.json");
            var shapes = BertWeightShapes.For(config, pooler: true);
            if (shapes.Count > 16 * BertConfig.MaxLayers + 7 || config.HeadSize <= 0)
            {
                throw new InvalidOperationException($"an accepted config implies {shapes.Count} tensors, head size {config.HeadSize}.");
            }
        }
        catch (ModelFormatException)
        {
        }
    }
}
