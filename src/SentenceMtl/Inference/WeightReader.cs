namespace SentenceMtl.Inference;

/// <summary>
/// Fills <paramref name="destination"/> with the values of the state-dict weight <paramref name="name"/> (Hugging Face
/// name, no prefix; row-major, as float32). Returns false when there is no such weight or it holds another number of
/// values than <paramref name="destination"/> is long. The engine reads each weight once, into a buffer it keeps or into
/// one scratch buffer it packs from, so building an engine leaves no per-weight arrays behind for the collector.
/// </summary>
/// <param name="name">The weight's name, such as <c>encoder.layer.0.intermediate.dense.weight</c>.</param>
/// <param name="destination">Where its values go; its length is the number of values the configuration implies.</param>
internal delegate bool WeightReader(string name, Span<float> destination);
