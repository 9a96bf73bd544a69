using System.Text.Json;
using SentenceMtl.ContainerCheck;

// dotnet run --project deploy/container/check -c Release -- save-classifier DIR
// dotnet run --project deploy/container/check -c Release -- compare URL DIR
// Exit code 0: done and (compare) every answer equals the in-process result; 1: a difference (printed); 2: bad usage.
switch (args)
{
    case ["save-classifier", var folder]:
        CheckClassifier.Save(folder);
        Console.WriteLine($"Saved a classifier on all-MiniLM-L6-v2 to {folder}.");
        return 0;
    case ["compare", var url, var folder]:
        using (var comparison = new ServerComparison(new Uri(url), folder))
        {
            IReadOnlyList<string> problems;
            try
            {
                problems = await comparison.RunAsync();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or KeyNotFoundException or FormatException or JsonException)
            {
                // A refused request, a timeout, an error status or an answer of the wrong shape: a failed check, said plainly.
                problems = [$"The server's answer could not be compared: {e.GetType().Name}: {e.Message}"];
            }

            foreach (string problem in problems)
            {
                Console.Error.WriteLine(problem);
            }

            return problems.Count == 0 ? 0 : 1;
        }

    default:
        Console.Error.WriteLine("Usage: save-classifier DIR | compare URL CLASSIFIER_DIR");
        return 2;
}
