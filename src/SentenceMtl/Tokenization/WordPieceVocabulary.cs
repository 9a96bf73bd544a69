using System.Text;

namespace SentenceMtl.Tokenization;

/// <summary>
/// A BERT <c>vocab.txt</c>: one token per line, the id of a token is its zero-based line number, tokens that
/// continue a word start with "##". Lookups take spans, so matching a piece of a word allocates nothing.
/// </summary>
internal sealed class WordPieceVocabulary
{
    /// <summary>The prefix of tokens that continue a word.</summary>
    public const string ContinuationPrefix = "##";

    private readonly string[] _tokens;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _tokenIds;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuationIds;

    private WordPieceVocabulary(string[] tokens, Dictionary<string, int> tokenIds, Dictionary<string, int> continuationIds)
    {
        _tokens = tokens;
        _tokenIds = tokenIds.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuationIds = continuationIds.GetAlternateLookup<ReadOnlySpan<char>>();
        MaxTokenLength = tokenIds.Keys.Max(t => t.Length);
        MaxContinuationLength = continuationIds.Count == 0 ? 0 : continuationIds.Keys.Max(t => t.Length);
    }

    /// <summary>The number of ids, i.e. of lines in the file.</summary>
    public int Count => _tokens.Length;

    /// <summary>The longest token, in UTF-16 code units: no longer piece of a word can match.</summary>
    public int MaxTokenLength { get; }

    /// <summary>The longest continuation token without its "##", in UTF-16 code units.</summary>
    public int MaxContinuationLength { get; }

    /// <summary>The token with id <paramref name="id"/>.</summary>
    public string this[int id] => _tokens[id];

    /// <summary>Looks up a token exactly as written (a word's first piece, or a special token).</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _tokenIds.TryGetValue(token, out id);

    /// <summary>Looks up "##" + <paramref name="piece"/> without building that string.</summary>
    public bool TryGetContinuationId(ReadOnlySpan<char> piece, out int id) => _continuationIds.TryGetValue(piece, out id);

    /// <summary>
    /// Reads a vocabulary. Lines end with \n, \r\n or \r, as Python's universal newlines; a UTF-8 byte order
    /// mark is skipped. An empty line keeps its id but matches nothing.
    /// </summary>
    /// <param name="stream">The UTF-8 text of <c>vocab.txt</c>; left open.</param>
    /// <param name="sourceName">The file or resource name used in error messages.</param>
    /// <exception cref="ModelFormatException">The text is not UTF-8, holds no token, or repeats a token.</exception>
    public static WordPieceVocabulary Load(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        var tokens = new List<string>(capacity: 32_768);
        try
        {
            var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            using var reader = new StreamReader(stream, utf8, detectEncodingFromByteOrderMarks: true, bufferSize: 65_536, leaveOpen: true);
            while (reader.ReadLine() is { } line)
            {
                tokens.Add(line);
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new ModelFormatException(sourceName, $"the vocabulary is not valid UTF-8 after line {tokens.Count}.", e);
        }
        catch (IOException e)
        {
            throw new ModelFormatException(sourceName, $"the vocabulary could not be read: {e.Message}", e);
        }

        var tokenIds = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        var continuationIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Count; id++)
        {
            string token = tokens[id];
            if (token.Length == 0)
            {
                continue;
            }

            if (!tokenIds.TryAdd(token, id))
            {
                throw new ModelFormatException(
                    sourceName, $"the vocabulary repeats the token '{token}' on lines {tokenIds[token] + 1} and {id + 1}.");
            }

            if (token.Length > ContinuationPrefix.Length && token.StartsWith(ContinuationPrefix, StringComparison.Ordinal))
            {
                continuationIds.Add(token[ContinuationPrefix.Length..], id);
            }
        }

        if (tokenIds.Count == 0)
        {
            throw new ModelFormatException(sourceName, "the vocabulary is empty.");
        }

        return new WordPieceVocabulary([.. tokens], tokenIds, continuationIds);
    }
}
