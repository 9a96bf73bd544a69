using System.Globalization;
using System.Text;

namespace SentenceMtl;

/// <summary>
/// Collections in the <c>ToString()</c> of result records (a record prints a list's type name otherwise): numbers in
/// the invariant culture with four significant digits, at most <see cref="MaxItems"/> items, then how many more.
/// </summary>
internal static class ResultText
{
    /// <summary>Most items a <c>ToString()</c> shows of one collection.</summary>
    public const int MaxItems = 20;

    /// <summary><c>0.1235</c>: four significant digits, invariant culture.</summary>
    public static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary><c>[a, b, … and N more]</c>.</summary>
    public static string List<T>(IEnumerable<T>? items, Func<T, string> format)
    {
        if (items is null)
        {
            return "null";
        }

        var shown = new List<string>(MaxItems);
        int count = 0;
        foreach (var item in items)
        {
            if (count++ < MaxItems)
            {
                shown.Add(format(item));
            }
        }

        string more = count > MaxItems ? $", … and {count - MaxItems} more" : "";
        return $"[{string.Join(", ", shown)}{more}]";
    }

    /// <summary><c>[0.5, 0.25]</c>.</summary>
    public static string Numbers(IEnumerable<double>? values) => List(values, Number);

    /// <summary><c>{ topic: 0.5, sentiment: 0.25 }</c>, or <c>null</c>.</summary>
    public static string Map(IEnumerable<KeyValuePair<string, double>>? values) =>
        values is null ? "null" : "{ " + string.Join(", ", values.Take(MaxItems).Select(kv => $"{kv.Key}: {Number(kv.Value)}")) +
            (values.Count() > MaxItems ? $", … and {values.Count() - MaxItems} more" : "") + " }";

    /// <summary>Appends <c>Name = value</c> pairs, comma-separated, as a record's <c>PrintMembers</c> does.</summary>
    public static bool Members(StringBuilder builder, params (string Name, string Value)[] members)
    {
        builder.AppendJoin(", ", members.Select(m => $"{m.Name} = {m.Value}"));
        return true;
    }
}
