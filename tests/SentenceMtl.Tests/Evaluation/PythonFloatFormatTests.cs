using SentenceMtl.Evaluation;

namespace SentenceMtl.Tests.Evaluation;

// Every expected string was printed by CPython 3.11: format(value, f'.{digits}f') and repr(value).
public class PythonFloatFormatTests
{
    [Theory]
    [InlineData(0.625, 2, "0.62")]   // exact binary tie: half to even
    [InlineData(0.375, 2, "0.38")]
    [InlineData(0.125, 2, "0.12")]
    [InlineData(0.875, 2, "0.88")]
    [InlineData(0.135, 2, "0.14")]   // the double is just above 0.135
    [InlineData(0.145, 2, "0.14")]   // ... just below 0.145
    [InlineData(0.155, 2, "0.15")]
    [InlineData(2.675, 2, "2.67")]
    [InlineData(1.0, 2, "1.00")]
    [InlineData(0.0, 2, "0.00")]
    [InlineData(-0.0, 2, "-0.00")]
    [InlineData(-0.001, 2, "-0.00")]
    [InlineData(0.5, 0, "0")]
    [InlineData(1.5, 0, "2")]
    [InlineData(2.5, 0, "2")]
    [InlineData(0.49999999999999994, 0, "0")]
    [InlineData(0.0005, 3, "0.001")]
    [InlineData(0.0625, 3, "0.062")]
    [InlineData(0.3125, 3, "0.312")]
    [InlineData(0.3333333333333333, 5, "0.33333")]
    [InlineData(0.6666666666666666, 5, "0.66667")]
    [InlineData(0.15000000000000002, 2, "0.15")]
    [InlineData(0.8085106382978724, 5, "0.80851")]
    [InlineData(0.0967741935483871, 5, "0.09677")]
    [InlineData(0.5, 1, "0.5")]
    [InlineData(0.25, 1, "0.2")]
    [InlineData(0.75, 1, "0.8")]
    [InlineData(0.05, 1, "0.1")]
    [InlineData(0.95, 1, "0.9")]
    [InlineData(0.999, 2, "1.00")]
    [InlineData(0.995, 2, "0.99")]
    [InlineData(0.9999995, 6, "1.000000")]
    [InlineData(1e-07, 6, "0.000000")]
    [InlineData(123.456, 4, "123.4560")]
    [InlineData(0.1, 20, "0.10000000000000000555")]
    [InlineData(5e-324, 3, "0.000")]
    [InlineData(1e+22, 1, "10000000000000000000000.0")]
    [InlineData(0.5, 6, "0.500000")]
    [InlineData(0.03125, 4, "0.0312")]
    [InlineData(0.96875, 4, "0.9688")]
    public void Fixed_matches_pythons_format(double value, int digits, string expected) =>
        Assert.Equal(expected, PythonFloatFormat.Fixed(value, digits));

    [Fact]
    public void Fixed_spells_non_finite_values_as_python()
    {
        Assert.Equal("nan", PythonFloatFormat.Fixed(double.NaN, 2));
        Assert.Equal("inf", PythonFloatFormat.Fixed(double.PositiveInfinity, 0));
        Assert.Equal("-inf", PythonFloatFormat.Fixed(double.NegativeInfinity, 6));
    }

    [Fact]
    public void Fixed_agrees_with_half_even_rounding_of_the_exact_value_for_fractions_k_over_n()
    {
        for (int n = 1; n <= 64; n++)
        {
            for (int k = 0; k <= n; k++)
            {
                double value = (double)k / n;
                for (int digits = 0; digits <= 6; digits++)
                {
                    string expected = Math.Round(ExactDecimal(value), digits, MidpointRounding.ToEven)
                        .ToString("F" + digits, System.Globalization.CultureInfo.InvariantCulture);
                    Assert.Equal(expected, PythonFloatFormat.Fixed(value, digits));
                }
            }
        }
    }

    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(1.0, "1.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.15000000000000002, "0.15000000000000002")]
    [InlineData(0.3333333333333333, "0.3333333333333333")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(1.5e-05, "1.5e-05")]
    [InlineData(123456.0, "123456.0")]
    [InlineData(1000000000000000.0, "1000000000000000.0")]
    [InlineData(1e+16, "1e+16")]
    [InlineData(1.2345e+17, "1.2345e+17")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e+308, "1.7976931348623157e+308")]
    [InlineData(0.5333333333333333, "0.5333333333333333")]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.NegativeInfinity, "-inf")]
    public void Repr_matches_pythons_repr(double value, string expected) =>
        Assert.Equal(expected, PythonFloatFormat.Repr(value));

    // The double's value as a System.Decimal, halving step by step: exact until it runs past Decimal's 28 digits,
    // then off by far less than any k/n double (n <= 64) lies from a rounding tie at 6 digits or fewer.
    private static decimal ExactDecimal(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = exponent == 0 ? (bits & 0xFFFFFFFFFFFFFL) << 1 : (bits & 0xFFFFFFFFFFFFFL) | (1L << 52);
        exponent -= 1075;
        decimal result = mantissa;
        for (; exponent < 0; exponent++)
        {
            result /= 2;
        }

        for (; exponent > 0; exponent--)
        {
            result *= 2;
        }

        return result;
    }
}
