namespace SentenceMtl.PortableChecks;

/// <summary>Double-precision references the kernels are checked against: exact GELU through erfc, written out here
/// because .NET has no erfc.</summary>
internal static class DoubleMath
{
    private static readonly double InverseSqrtPi = 1 / Math.Sqrt(Math.PI);

    /// <summary>GELU x·Φ(x) = ½·x·erfc(−x/√2), accurate relatively even where it is tiny (x far below 0).</summary>
    public static double Gelu(double x) => 0.5 * x * Erfc(-x / Math.Sqrt(2));

    /// <summary>
    /// erfc(z) to about 1e-14 relatively: below z = 2, 1 − erf(z) from erf's Maclaurin series (erfc ≥ 0.0047 there, so
    /// the difference loses nothing that matters); from 2 on, e^(−z²)/√π times Laplace's continued fraction
    /// 1/(z + ½/(z + 1/(z + 3/2/(z + …)))), evaluated bottom-up over 200 terms (it converges fastest for large z).
    /// </summary>
    public static double Erfc(double z)
    {
        if (double.IsNaN(z))
        {
            return z;
        }

        if (z < 2)
        {
            return 1 - Erf(z);
        }

        double fraction = z;
        for (int n = 200; n >= 1; n--)
        {
            fraction = z + (n / 2.0 / fraction);
        }

        return Math.Exp(-z * z) * InverseSqrtPi / fraction;
    }

    /// <summary>erf(z) for |z| &lt; 2 from 2/√π · Σ (−1)ⁿ z^(2n+1) / (n! (2n+1)), until a term no longer changes the sum.</summary>
    private static double Erf(double z)
    {
        if (z < -2)
        {
            return Erfc(-z) - 1;
        }

        double term = z, sum = z, z2 = z * z;
        for (int n = 1; n < 200; n++)
        {
            term *= -z2 / n;
            double next = sum + (term / ((2 * n) + 1));
            if (next == sum)
            {
                break;
            }

            sum = next;
        }

        return 2 * InverseSqrtPi * sum;
    }
}
