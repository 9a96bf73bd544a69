namespace SentenceMtl;

/// <summary>One result of <see cref="SemanticSearch.ParaphraseMining"/>: two different sentences and their similarity.</summary>
/// <param name="First">The smaller of the two indexes.</param>
/// <param name="Second">The larger of the two indexes.</param>
/// <param name="Score">Their similarity; larger is more similar (distances are negated).</param>
public readonly record struct ParaphrasePair(int First, int Second, float Score);
