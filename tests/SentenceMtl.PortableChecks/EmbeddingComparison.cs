using System.Globalization;

namespace SentenceMtl.PortableChecks;

/// <summary>
/// Compares two embedding dumps (one from x64 at 128 bits, one from ARM64): int8 must agree bit for bit; float32 is
/// reported as bit-identical or by its largest difference, which must stay within 1e-6.
/// </summary>
internal static class EmbeddingComparison
{
    public static void Run(CheckLog log, string firstPath, string secondPath)
    {
        var first = Read(firstPath);
        var second = Read(secondPath);
        foreach (string label in new[] { "float32", "int8" })
        {
            var a = first.Where(kv => kv.Key.Label == label).OrderBy(kv => kv.Key.Index).ToArray();
            var b = second.Where(kv => kv.Key.Label == label).OrderBy(kv => kv.Key.Index).ToArray();
            if (a.Length == 0 || a.Length != b.Length)
            {
                log.Check($"compare {label}", false, $"{a.Length} vs {b.Length} {label} embeddings in the dumps");
                continue;
            }

            int values = 0, differing = 0;
            double worst = 0;
            for (int s = 0; s < a.Length; s++)
            {
                for (int i = 0; i < a[s].Value.Length; i++, values++)
                {
                    if (a[s].Value[i] != b[s].Value[i])
                    {
                        differing++;
                        worst = Math.Max(worst, Math.Abs(BitConverter.Int32BitsToSingle(a[s].Value[i]) - (double)BitConverter.Int32BitsToSingle(b[s].Value[i])));
                    }
                }
            }

            string detail = differing == 0
                ? $"bit-identical ({a.Length} sentences, {values} values)"
                : $"{differing} of {values} values differ, max |difference| = {CheckLog.G(worst)}";
            log.Check($"compare {label} {Path.GetFileName(firstPath)} vs {Path.GetFileName(secondPath)}", label == "int8" ? differing == 0 : worst <= 1e-6, detail);
        }
    }

    private static Dictionary<(string Label, int Index), int[]> Read(string path) =>
        File.ReadLines(path).Where(line => line.Length > 0).Select(line => line.Split(' ')).ToDictionary(
            parts => (parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture)),
            parts => parts[2].Split(',').Select(hex => int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray());
}
