using SentenceMtl.Checkpoints;

namespace SentenceMtl;

// Encode with per-call options: prompts, normalization, Matryoshka truncation, batch size and progress.
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The model's named prompts (from its <c>config_sentence_transformers.json</c>), e.g. snowflake-arctic-embed-xs's
    /// <c>"query"</c>; empty when it names none. Select one with <see cref="EncodeOptions.PromptName"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Prompts { get { ThrowIfDisposed(); return source.SentenceTransformers.Prompts; } }

    /// <summary>The model's prompts and similarity function, as read, for saving.</summary>
    internal SentenceTransformersConfig SentenceTransformersConfig => source.SentenceTransformers;

    /// <summary>Whether pooling counts a prompt's tokens (the pooling config's <c>include_prompt</c>), for saving.</summary>
    internal bool PoolingIncludesPrompt => source.PoolingIncludesPrompt;

    /// <summary>The key of <see cref="Prompts"/> applied when a call asks for no prompt, or null (the usual case).</summary>
    public string? DefaultPromptName { get { ThrowIfDisposed(); return source.SentenceTransformers.DefaultPromptName; } }

    /// <summary>
    /// Embeds sentences, as sentence-transformers' <c>encode</c>: the prompt, if any, is put before each sentence, then
    /// length-sorted, dynamically padded batches are embedded; results are in input order.
    /// </summary>
    /// <param name="sentences">The texts, read once (a list, an array or a stream such as <c>File.ReadLines(path)</c>); none may be null.</param>
    /// <param name="options">Prompt, normalization, truncation, batch size and progress; null keeps the encoder's settings.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>One new array per sentence: <see cref="Dimension"/> floats, or <see cref="EncodeOptions.TruncateDimension"/>.</returns>
    /// <exception cref="ArgumentNullException">A sentence is null (the message gives its index).</exception>
    /// <exception cref="ArgumentException"><see cref="EncodeOptions.PromptName"/> is not one of <see cref="Prompts"/> (the
    /// message lists them), both a prompt and a prompt name are given, or an option is out of range.</exception>
    /// <exception cref="NotSupportedException">A prompt is asked for but the model's pooling excludes prompt tokens
    /// (<c>include_prompt: false</c>), which this library does not implement.</exception>
    /// <exception cref="ObjectDisposedException">The encoder was disposed (also when <see cref="Dispose"/> ran meanwhile on another thread).</exception>
    public float[][] Encode(IEnumerable<string> sentences, EncodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(sentences);
        options ??= EncodeOptions.Default;
        string prompt = ResolvePrompt(options);
        CheckSizes(options);
        var texts = Prompted(sentences, prompt);
        using var lease = Lifetime.Share();
        return Embed(TokenizeAll(texts), options, cancellationToken);
    }

    /// <summary>
    /// The token ids <see cref="Encode(IEnumerable{string}, EncodeOptions?, CancellationToken)"/> embeds for
    /// <paramref name="text"/> with <paramref name="options"/>: the prompt, if any, put before it, then
    /// <see cref="Tokenize"/>. For a caller that needs the tokens before embedding them (the server counts them against
    /// its budgets) and then calls <see cref="EncodeTokenized"/>, so that a text is tokenized once.
    /// </summary>
    internal int[] TokenizeForEncode(string text, EncodeOptions options)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(text);
        string prompt = ResolvePrompt(options);
        return Tokenize(prompt.Length == 0 ? text : prompt + text);
    }

    /// <summary>
    /// Embeds token ids that <see cref="TokenizeForEncode"/> gave with the same <paramref name="options"/>: the vectors
    /// <see cref="Encode(IEnumerable{string}, EncodeOptions?, CancellationToken)"/> gives for the texts, by the same
    /// path after tokenization.
    /// </summary>
    /// <param name="ids">The texts' token ids.</param>
    /// <param name="options">The options the ids were tokenized with.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <param name="passes">Null: batches of <see cref="EncodeOptions.BatchSize"/> texts, as <c>Encode</c>. Otherwise the
    /// texts run in this many batches of about equal token counts, side by side on the engine's threads (how the server
    /// runs a coalesced batch); the vectors are the same either way.</param>
    internal float[][] EncodeTokenized(IReadOnlyList<int[]> ids, EncodeOptions options, CancellationToken cancellationToken, int? passes = null)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(ids);
        CheckSizes(options);
        using var lease = Lifetime.Share();
        return Embed(ids, options, cancellationToken, passes);
    }

    private void CheckSizes(EncodeOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize ?? BatchSize, 1, "options.BatchSize");
        if (options.TruncateDimension is { } kept && (kept < 1 || kept > Dimension))
        {
            throw new ArgumentOutOfRangeException("options.TruncateDimension", kept,
                $"TruncateDimension must be from 1 to the model's dimension ({Dimension}).");
        }
    }

    /// <summary>Embeds (pooled, not normalized), truncates, normalizes: the one path every embedding takes after tokenization.</summary>
    private float[][] Embed(IReadOnlyList<int[]> ids, EncodeOptions options, CancellationToken cancellationToken, int? passes = null)
    {
        var embedded = Counter(options.Progress, ids.Count);
        var vectors = passes is { } count
            ? engine.EmbedInPasses(ids, count, Pooling, embedded, cancellationToken)
            : engine.Embed(ids, options.BatchSize ?? BatchSize, Pooling, embedded, cancellationToken);
        int dimension = options.TruncateDimension ?? Dimension;
        bool normalize = options.Normalize ?? Normalize;
        for (int i = 0; i < vectors.Length; i++)
        {
            if (dimension < vectors[i].Length)
            {
                vectors[i] = vectors[i][..dimension];                                          // Matryoshka: the first values
            }

            if (normalize)
            {
                L2Normalization.Normalize(vectors[i]);
            }
        }

        return vectors;
    }

    /// <summary>The prompt text a call puts before each sentence ("" for none), checked against the model's prompts.</summary>
    private string ResolvePrompt(EncodeOptions options)
    {
        if (options.Prompt is not null && options.PromptName is not null)
        {
            throw new ArgumentException(
                "Give EncodeOptions.Prompt (a text) or EncodeOptions.PromptName (a key of SentenceEncoder.Prompts), not both.", nameof(options));
        }

        string? name = options.Prompt is null ? options.PromptName ?? DefaultPromptName : null;
        string prompt = options.Prompt ?? "";
        if (name is not null && !source.SentenceTransformers.Prompts.TryGetValue(name, out prompt!))
        {
            throw new ArgumentException(
                $"The model '{ModelId}' has no prompt named '{ErrorText.Shorten(name)}'; " + (Prompts.Count == 0
                    ? "it names no prompts (set EncodeOptions.Prompt to a text instead)."
                    : $"its prompts are {string.Join(", ", Prompts.Keys.Select(k => $"'{k}'"))}."), nameof(options));
        }

        if (prompt.Length > 0 && !source.PoolingIncludesPrompt)
        {
            throw new NotSupportedException(
                $"The model '{ModelId}' pools without its prompt's tokens (include_prompt: false in its pooling config), which " +
                "SentenceMtl does not implement; encode without a prompt (EncodeOptions.Prompt = \"\").");
        }

        return prompt;
    }

    private static List<string> Prompted(IEnumerable<string> sentences, string prompt)
    {
        var texts = sentences.TryGetNonEnumeratedCount(out int count) ? new List<string>(count) : [];
        foreach (string sentence in sentences)
        {
            if (sentence is null)
            {
                throw new ArgumentNullException(nameof(sentences), $"Sentence {texts.Count} is null.");
            }

            texts.Add(prompt.Length == 0 ? sentence : prompt + sentence);
        }

        return texts;
    }

    /// <summary>Reports a running total to <paramref name="progress"/> per finished batch; batches finishing on several
    /// threads at once are counted under a lock, so the reported totals increase.</summary>
    private static Action<int>? Counter(IProgress<EncodeProgress>? progress, int total)
    {
        if (progress is null)
        {
            return null;
        }

        int done = 0;
        var gate = new Lock();
        return count =>
        {
            lock (gate)
            {
                done += count;
                progress.Report(new EncodeProgress(done, total));
            }
        };
    }
}
