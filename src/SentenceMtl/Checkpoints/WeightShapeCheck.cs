using SentenceMtl.Modeling.Bert;
using SentenceMtl.Serialization;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Compares what a configuration promises with what a weight file holds — key names and shapes, read from the
/// file's header (safetensors) or its tensors — before any module is built, so a config that claims a model far
/// larger than its weights fails with a message instead of allocating that model.
/// </summary>
internal static class WeightShapeCheck
{
    /// <summary>Checks the backbone keys <paramref name="found"/> (prefix already stripped) against <paramref name="config"/>.</summary>
    /// <param name="config">The validated backbone configuration.</param>
    /// <param name="found">Each checkpoint key and its shape.</param>
    /// <param name="configName">Names the configuration in the error (the exception's file).</param>
    /// <param name="weightsName">Names the weight file in the error.</param>
    /// <exception cref="ModelFormatException">A key is missing or unexpected, or a shape differs; the message names the config field.</exception>
    public static void RequireBert(BertConfig config, IReadOnlyDictionary<string, long[]> found, string configName, string weightsName)
    {
        bool pooler = found.Keys.Any(k => k.StartsWith("pooler.", StringComparison.Ordinal));
        long layersInFile = found.Keys
            .Select(k => BertWeightNames.TryGetPosition(k, out var position) && position.Section == 1 ? position.Layer + 1L : 0L)
            .DefaultIfEmpty(0L).Max();
        if (layersInFile != config.NumHiddenLayers && layersInFile > 0)
        {
            throw new ModelFormatException(configName,
                $"num_hidden_layers is {config.NumHiddenLayers} but {weightsName} holds {layersInFile} layers (encoder.layer.0 … " +
                $"encoder.layer.{layersInFile - 1}). The config and the weights belong to different models.");
        }

        var expected = BertWeightShapes.For(config, pooler);
        Require(expected.ToDictionary(kv => kv.Key, kv => (kv.Value.Shape, kv.Value.Fields), StringComparer.Ordinal),
            found, configName, weightsName);
    }

    /// <summary>
    /// Checks <paramref name="found"/> against <paramref name="expected"/> (each with the config fields behind its
    /// dimensions): every expected key present with its shape, nothing else.
    /// </summary>
    /// <exception cref="ModelFormatException">Keys are missing or unexpected, or a shape differs.</exception>
    public static void Require(IReadOnlyDictionary<string, (long[] Shape, string Fields)> expected,
        IReadOnlyDictionary<string, long[]> found, string configName, string weightsName)
    {
        var misshaped = expected.Where(kv => found.TryGetValue(kv.Key, out var shape) && !shape.SequenceEqual(kv.Value.Shape)).ToList();
        if (misshaped.Count > 0)
        {
            var (key, (shape, fields)) = misshaped[0];
            throw new ModelFormatException(configName,
                $"wrong shapes: {fields} here give {key} the shape {Show(shape)}, but {weightsName} holds {Show(found[key])}" +
                (misshaped.Count > 1 ? $" ({misshaped.Count - 1} more tensors differ: {ErrorText.List(misshaped.Skip(1).Select(kv => kv.Key))})" : "") +
                ". The config and the weights belong to different models.");
        }

        var missing = expected.Keys.Where(k => !found.ContainsKey(k)).ToList();
        var unexpected = found.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (missing.Count + unexpected.Count > 0)
        {
            var problems = new List<string>();
            if (missing.Count > 0) problems.Add($"missing {missing.Count} keys: {ErrorText.List(missing)}");
            if (unexpected.Count > 0) problems.Add($"{unexpected.Count} unexpected keys: {ErrorText.List(unexpected)}");
            throw new ModelFormatException(weightsName,
                $"does not hold the tensors {configName} describes; {string.Join("; ", problems)}.");
        }
    }

    private static string Show(long[] shape) => $"[{string.Join(", ", shape)}]";
}
