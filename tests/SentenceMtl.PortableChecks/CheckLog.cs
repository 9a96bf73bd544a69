using System.Globalization;

namespace SentenceMtl.PortableChecks;

/// <summary>One line per check (<c>PASS name: detail</c> or <c>FAIL name: detail</c>), and the closing count.</summary>
internal sealed class CheckLog
{
    public int Passed { get; private set; }

    public int Failed { get; private set; }

    /// <summary>Records a check: passed when <paramref name="ok"/>; <paramref name="detail"/> says what was measured.</summary>
    public void Check(string name, bool ok, string detail)
    {
        if (ok)
        {
            Passed++;
        }
        else
        {
            Failed++;
        }

        Console.WriteLine($"{(ok ? "PASS" : "FAIL")} {name}: {detail}");
    }

    /// <summary>Runs <paramref name="body"/>; an exception it throws is a failed check named <paramref name="name"/>, not a crash.</summary>
    public void Guard(string name, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            Check(name, false, $"threw {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>A value for a detail line, round-trippable and culture-free.</summary>
    public static string G(double value) => value.ToString("g3", CultureInfo.InvariantCulture);
}
