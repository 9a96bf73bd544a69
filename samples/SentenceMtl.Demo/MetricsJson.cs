using System.Text.Json;

namespace SentenceMtl.Demo;

/// <summary>The <c>--metrics-json</c> file: <c>{"topic": report, "sentiment": report}</c> with each report as
/// <see cref="ClassificationReport.ToJson"/> writes it (scikit-learn's <c>output_dict</c> shape).</summary>
internal static class MetricsJson
{
    /// <summary>The JSON text: one property per task that has a report, in task order; numbers kept as the reports wrote them.</summary>
    public static string Serialize(IReadOnlyList<TaskDefinition> tasks, IReadOnlyDictionary<string, ClassificationReport> reports)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            foreach (var task in tasks.Where(t => reports.ContainsKey(t.Name)))
            {
                json.WritePropertyName(task.Name);
                using var report = JsonDocument.Parse(reports[task.Name].ToJson());
                report.RootElement.WriteTo(json); // re-indents, keeps each number's text
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Writes <see cref="Serialize"/>'s text to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyList<TaskDefinition> tasks, IReadOnlyDictionary<string, ClassificationReport> reports) =>
        AtomicFile.WriteAllText(path, Serialize(tasks, reports));
}
