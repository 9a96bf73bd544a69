namespace SentenceMtl.Server;

/// <summary>
/// The server's settings: configuration section <c>"SentenceMtl"</c> (appsettings.json, environment variables such as
/// <c>SentenceMtl__ApiKey</c>, or the command line: <c>--SentenceMtl:MaxBatchTokens 8192</c>; <c>--model</c> and
/// <c>--classifier</c> are short for <c>--SentenceMtl:Model</c> and <c>--SentenceMtl:Classifier</c>).
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "SentenceMtl";

    /// <summary>The model served when neither <see cref="Model"/> nor <see cref="Classifier"/> is set.</summary>
    public const string DefaultModel = "all-MiniLM-L6-v2";

    /// <summary>The encoder: an embedded model's name, a hub id or a folder (anything <see cref="SentenceEncoder.FromPretrained"/>
    /// takes; a relative folder is resolved against the directory the server was started from). Unset: the
    /// <see cref="Classifier"/>'s own encoder when a classifier is set (one backbone serves both), else
    /// <see cref="DefaultModel"/>. Set together with a classifier, two backbones are loaded.</summary>
    public string? Model { get; init; }

    /// <summary>A folder saved by <see cref="MultiTaskModel.Save"/> served at <c>/classify</c> (relative: to the directory the
    /// server was started from); null serves no classifier.</summary>
    public string? Classifier { get; init; }

    /// <summary>The name <c>/v1/models</c> lists and <c>model</c> must match; null: the model's own name.</summary>
    public string? ServedModelName { get; init; }

    /// <summary>The token budget of one coalesced batch: requests (or parts of a large one) are added while the batch holds
    /// fewer tokens (a single longer text still runs, alone). A request that arrives while a batch runs waits for it:
    /// 2,048 tokens of all-MiniLM-L6-v2 take about 0.3 s on two idle cores (TEI's 16,384 suits a GPU); smaller batches
    /// cost no measurable throughput, since the encoder runs 32 texts at a time anyway.</summary>
    public int MaxBatchTokens { get; init; } = 2_048;

    /// <summary>How long the batcher waits for more requests once one has arrived and nothing else is queued;
    /// zero runs whatever is queued at once.</summary>
    public TimeSpan MaxBatchWait { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most requests waiting for the encoder; further requests get 503 until the queue shortens.</summary>
    public int MaxQueuedRequests { get; init; } = 4_096;

    /// <summary>Most requests to the work endpoints at once, from admission to the last byte of the answer (as TEI's
    /// <c>max_concurrent_requests</c>); further requests get 429 with <c>Retry-After</c> at once.</summary>
    public int MaxConcurrentRequests { get; init; } = 512;

    /// <summary>Most bytes of request bodies held at once, in total: each request reserves its <c>Content-Length</c> (or
    /// <see cref="MaxRequestBodyBytes"/> when chunked) before its body is read and until its answer is sent. A request
    /// holds about 4 times its body (the body, its texts as UTF-16 strings, its answer), so this bounds the server's
    /// memory for requests. Must be at least <see cref="MaxRequestBodyBytes"/>.</summary>
    public long MaxBufferedBodyBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Most tokens queued or running at once, in total (requests past it wait, then get 503): bounds the work
    /// the server has promised. Must be at least <see cref="MaxRequestTokens"/>.</summary>
    public int MaxQueuedTokens { get; init; } = 262_144;

    /// <summary>Most tokens in one request (<c>[CLS]</c> and <c>[SEP]</c> included, after truncation to the model's
    /// maximum length); a larger request gets 413.</summary>
    public int MaxRequestTokens { get; init; } = 131_072;

    /// <summary>How long a request waits for room in the budgets above before it gets 503 with <c>Retry-After</c>.</summary>
    public TimeSpan AdmissionTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most texts in one request (OpenAI's limit is 2,048).</summary>
    public int MaxInputsPerRequest { get; init; } = 2_048;

    /// <summary>Most characters (UTF-16 code units) in one text.</summary>
    public int MaxInputCharacters { get; init; } = 32_768;

    /// <summary>Whether a text longer than the model's maximum length is cut to it (text-embeddings-inference's
    /// <c>auto_truncate</c>); false (the default) refuses it with 413 naming the text, so that no text is embedded from
    /// a part of it silently. <c>/v1/embeddings</c> and <c>/classify</c> follow this setting; <c>/embed</c> follows its
    /// request's <c>truncate</c> field, which defaults to this setting.</summary>
    public bool AutoTruncate { get; init; }

    /// <summary>Largest request body in bytes (Kestrel's <c>MaxRequestBodySize</c>); larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>When set, every endpoint but <c>/health</c> requires <c>Authorization: Bearer</c> this key.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Threads of the inference engine (<see cref="SentenceEncoderOptions.Threads"/>); null: every core.</summary>
    public int? Threads { get; init; }

    /// <summary>float32 (<c>None</c>, default) or <c>Int8</c> linear layers in the inference engine, for the encoder and
    /// the classifier (<see cref="SentenceEncoderOptions.Quantization"/>).</summary>
    public EncoderQuantization Quantization { get; init; }
}
