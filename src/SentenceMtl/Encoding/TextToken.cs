namespace SentenceMtl;

/// <summary>One token of a text as the model's tokenizer splits it (<see cref="SentenceEncoder.TokenizeWithOffsets"/>).</summary>
/// <param name="Id">The vocabulary id the model sees.</param>
/// <param name="Token">The vocabulary entry: <c>"game"</c>, <c>"##ing"</c> for a piece that continues a word, <c>"[CLS]"</c>.</param>
/// <param name="IsSpecial">Whether the tokenizer added it (<c>[CLS]</c>, <c>[SEP]</c>) rather than read it from the text.</param>
/// <param name="Start">Where the text the token stands for starts, in UTF-16 code units of the input; null for an
/// added token, and for a token that cannot be placed (see <see cref="SentenceEncoder.TokenizeWithOffsets"/>).</param>
/// <param name="End">Where it ends (exclusive); null when <paramref name="Start"/> is.</param>
public readonly record struct TextToken(int Id, string Token, bool IsSpecial, int? Start, int? End);
