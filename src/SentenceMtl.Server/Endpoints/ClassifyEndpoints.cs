using Microsoft.Extensions.Options;
using SentenceMtl.Server.Batching;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// <c>POST /classify</c>: <c>inputs</c> (string or string array) through the saved <see cref="MultiTaskModel"/> given by
/// <see cref="ServerOptions.Classifier"/>; per input, per task, the predicted label and every label's probability. A text
/// over the model's maximum length is cut only when <see cref="ServerOptions.AutoTruncate"/> is set (413 otherwise).
/// </summary>
internal static class ClassifyEndpoints
{
    /// <summary>Adds the route.</summary>
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/classify", ClassifyAsync);

    /// <summary>The request body.</summary>
    internal sealed record ClassifyRequest(TextInput? Inputs);

    /// <summary>One task's answer for one input.</summary>
    internal sealed record TaskResult(string Label, float Confidence, Dictionary<string, float> Probabilities);

    private static async Task<IResult> ClassifyAsync(HttpContext context, ModelHost models, BatchingQueue queue, ServerMetrics metrics,
        IOptions<ServerOptions> options)
    {
        var request = await RequestReader.ReadAsync<ClassifyRequest>(context, options.Value);
        var texts = RequestReader.Texts(request.Inputs, "inputs", options.Value);
        models.RequireEncoder();
        var classifier = models.Classifier ?? throw new ApiException(StatusCodes.Status404NotFound,
            "This server has no classifier; start it with --classifier DIR (a folder saved by MultiTaskModel.Save).",
            null, "classifier_not_loaded");
        var ids = TokenCounter.Tokenize(classifier.Encoder, texts, EncodeOptions.Default, "inputs", options.Value, refuseTruncation: !options.Value.AutoTruncate);
        metrics.Tokens("/classify", ids.Sum(sequence => sequence.Length));
        // Through the same admission and batching queue as the embeddings: bounded in total, and a large request shares
        // the worker with the others instead of running beside them on threads of its own.
        var predictions = await queue.ClassifyAsync(classifier, ids, Admission.AdmittedAt(context), context.RequestAborted);
        var result = predictions.Select(tasks => tasks.ToDictionary(
            task => task.Task,
            task => new TaskResult(task.Label, task.Confidence, task.LabelProbabilities.ToDictionary(p => p.Key, p => p.Value))));
        return Results.Json(result.ToArray(), WireJson.Options);
    }
}
