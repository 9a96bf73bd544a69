namespace SentenceMtl;

/// <summary>How far a call of <see cref="SentenceEncoder.Encode(IEnumerable{string}, EncodeOptions?, CancellationToken)"/> is.</summary>
/// <param name="Encoded">Sentences embedded so far.</param>
/// <param name="Total">Sentences in the call.</param>
public readonly record struct EncodeProgress(int Encoded, int Total);
