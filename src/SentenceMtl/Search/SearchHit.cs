namespace SentenceMtl;

/// <summary>One result of <see cref="SemanticSearch.Search"/>: a corpus entry and its score against the query.</summary>
/// <param name="CorpusIndex">The index of the entry in the corpus array.</param>
/// <param name="Score">Its similarity to the query; larger is more similar (distances are negated).</param>
public readonly record struct SearchHit(int CorpusIndex, float Score);
