using System.Text.Json;
using System.Text.Json.Nodes;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// sentence-transformers' <c>config_sentence_transformers.json</c>: the model's named prompts, the prompt applied when
/// none is asked for, and the similarity function its embeddings are meant for.
/// </summary>
/// <param name="Prompts">Prompt name → text put before the sentence.</param>
/// <param name="DefaultPromptName">A key of <paramref name="Prompts"/>, or null.</param>
/// <param name="SimilarityFunctionName">sentence-transformers' name: <c>cosine</c>, <c>dot</c>, <c>euclidean</c> or <c>manhattan</c>.</param>
internal sealed record SentenceTransformersConfig(IReadOnlyDictionary<string, string> Prompts, string? DefaultPromptName, string SimilarityFunctionName)
{
    /// <summary>The file's name, in the model's root folder.</summary>
    public const string FileName = "config_sentence_transformers.json";

    /// <summary>Most prompts a model may name, and the longest prompt in characters.</summary>
    public const int MaxPrompts = 1_000, MaxPromptLength = 100_000;

    /// <summary>The similarity function names sentence-transformers writes.</summary>
    public static IReadOnlyList<string> SimilarityFunctionNames { get; } = ["cosine", "dot", "euclidean", "manhattan"];

    /// <summary>What a model without the file has: no prompts, cosine similarity.</summary>
    public static SentenceTransformersConfig Empty { get; } =
        new(new Dictionary<string, string>(StringComparer.Ordinal), null, "cosine");

    /// <summary>Reads <see cref="FileName"/> in <paramref name="folder"/>; <see cref="Empty"/> when there is none.</summary>
    /// <exception cref="ModelFormatException">The file is not JSON, a prompt is not a string or too long, the default prompt
    /// names no prompt, or the similarity function is unknown (each message names the key).</exception>
    public static SentenceTransformersConfig Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return Empty;
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes));
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(path, $"invalid JSON ({ex.Message}).", ex);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(path, "expected a JSON object.");
        }

        var prompts = ReadPrompts(root, path);
        string? defaultName = OptionalString(root, "default_prompt_name", path);
        if (defaultName is not null && !prompts.ContainsKey(defaultName))
        {
            throw new ModelFormatException(path,
                $"'default_prompt_name' is \"{ErrorText.Shorten(defaultName)}\", which is not a key of 'prompts' ({Names(prompts)}).");
        }

        string similarity = OptionalString(root, "similarity_fn_name", path) ?? "cosine";
        if (!SimilarityFunctionNames.Contains(similarity, StringComparer.Ordinal))
        {
            throw new ModelFormatException(path,
                $"'similarity_fn_name' is \"{ErrorText.Shorten(similarity)}\"; expected one of {string.Join(", ", SimilarityFunctionNames)}.");
        }

        return new SentenceTransformersConfig(prompts, defaultName, similarity);
    }

    /// <summary>The file's text, as sentence-transformers writes it.</summary>
    public string ToJson()
    {
        var prompts = new JsonObject();
        foreach (var (name, text) in Prompts)
        {
            prompts[name] = text;
        }

        var root = new JsonObject
        {
            ["prompts"] = prompts,
            ["default_prompt_name"] = DefaultPromptName,
            ["similarity_fn_name"] = SimilarityFunctionName,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static Dictionary<string, string> ReadPrompts(JsonElement root, string path)
    {
        var prompts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("prompts", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return prompts;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(path, "'prompts' must be an object of prompt names and texts.");
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new ModelFormatException(path, $"prompt '{ErrorText.Shorten(property.Name)}' must be a string.");
            }

            string text = property.Value.GetString()!;
            if (text.Length > MaxPromptLength || prompts.Count == MaxPrompts)
            {
                throw new ModelFormatException(path,
                    $"prompt '{ErrorText.Shorten(property.Name)}': at most {MaxPrompts:N0} prompts of {MaxPromptLength:N0} characters are read.");
            }

            prompts[property.Name] = text;
        }

        return prompts;
    }

    private static string? OptionalString(JsonElement root, string name, string path) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new ModelFormatException(path, $"'{name}' must be a string or null.");

    private static string Names(IReadOnlyDictionary<string, string> prompts) =>
        prompts.Count == 0 ? "it has none" : string.Join(", ", prompts.Keys.Select(k => $"\"{ErrorText.Shorten(k)}\""));
}
