namespace SentenceMtl.ContainerCheck;

/// <summary>The texts sent to the container: short and long, with accents, CJK and emoji so that the image's ICU and
/// the tokenizer's normalization are exercised, not only ASCII.</summary>
internal static class CheckSentences
{
    public static readonly string[] All =
    [
        "The team won the final.",
        "A new phone was released today with a faster chip.",
        "Parliament passed the budget after a long debate.",
        "I did not enjoy the film at all.",
        "What a wonderful, sunny morning!",
        "Crème brûlée is a French dessert; naïve café owners love it.",
        "Ärger über Straßenbahnverspätungen in München.",
        "東京は日本の首都です。",
        "Emoji are text too 🙂👍",
        "",
        "   leading and trailing spaces   ",
        string.Join(' ', Enumerable.Repeat("The quick brown fox jumps over the lazy dog.", 20)),
        "UPPER CASE and lower case and MiXeD cAsE.",
        "Numbers: 3.14159, 2,718 and 1e-6.",
        "Line\nbreaks\tand tabs.",
        "short",
    ];
}
