namespace SentenceMtl.PortableChecks;

/// <summary>
/// The whole engine through the public API: <see cref="TinyBert"/> written to a folder, loaded with
/// <see cref="SentenceEncoder.FromPretrained"/> at the machine's default width (the script runs x64 with
/// DOTNET_PreferredVectorBitWidth=128, so both platforms run the 128-bit code), float32 and int8, and its embeddings
/// of <see cref="TinyBert.Sentences"/> checked against <see cref="ReferenceBert"/> in double precision.
/// </summary>
internal static class EngineChecks
{
    /// <summary>Runs the checks; the embeddings' bits go to <paramref name="dump"/> (one line per sentence) for comparing platforms.</summary>
    public static void Run(CheckLog log, TextWriter? dump)
    {
        var folder = Directory.CreateTempSubdirectory("sentencemtl-portable").FullName;
        try
        {
            var weights = TinyBert.Weights();
            TinyBert.WriteFolder(folder, weights);
            var reference = new ReferenceBert(TinyBert.Config, weights);
            foreach (var quantization in new[] { EncoderQuantization.None, EncoderQuantization.Int8 })
            {
                log.Guard($"engine {quantization}", () => CheckEngine(log, folder, reference, quantization, dump));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void CheckEngine(CheckLog log, string folder, ReferenceBert reference, EncoderQuantization quantization, TextWriter? dump)
    {
        string label = quantization == EncoderQuantization.Int8 ? "int8" : "float32";
        float[][] two, one;
        int[][] ids;
        string backend;
        using (var encoder = Load(folder, quantization, threads: 2))
        {
            backend = encoder.InferenceBackend;
            ids = [.. TinyBert.Sentences.Select(encoder.Tokenize)];
            two = encoder.Encode(TinyBert.Sentences);
        }

        using (var encoder = Load(folder, quantization, threads: 1))
        {
            one = [.. TinyBert.Sentences.Select(encoder.Encode)];                                  // one sentence per call: other batches
        }

        var expected = ids.Select(reference.Embed).ToArray();
        bool sameBits = two.Zip(one).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));
        Console.WriteLine($"INFO engine {label}: {backend}; token counts {string.Join(" ", ids.Select(i => i.Length))}");
        if (quantization == EncoderQuantization.None)
        {
            double worst = two.Zip(expected).Max(pair => pair.First.Zip(pair.Second, (a, e) => Math.Abs(a - e)).Max());
            log.Check($"engine-{label}", worst <= 1e-5 && sameBits,
                $"{two.Length} sentences, max |ours − double reference| = {CheckLog.G(worst)} (≤ 1e-5); batched/2 threads vs one-by-one/1 thread: {(sameBits ? "identical" : "DIFFER")}");
        }
        else
        {
            var cosines = two.Zip(expected, (a, e) => a.Zip(e, (x, y) => x * y).Sum()).ToArray();   // both unit length
            log.Check($"engine-{label}", cosines.Average() >= 0.99 && cosines.Min() >= 0.97 && sameBits,
                $"{two.Length} sentences, cosine to the double reference mean {cosines.Average():f5} (≥ 0.99), min {cosines.Min():f5} (≥ 0.97); " +
                $"batched/2 threads vs one-by-one/1 thread: {(sameBits ? "identical" : "DIFFER")}");
        }

        Console.WriteLine($"HASH embedding {label} fnv1a64={Hash(two)}");
        for (int i = 0; i < two.Length; i++)
        {
            dump?.WriteLine($"{label} {i} {string.Join(",", two[i].Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8", System.Globalization.CultureInfo.InvariantCulture)))}");
        }
    }

    private static SentenceEncoder Load(string folder, EncoderQuantization quantization, int threads) =>
        SentenceEncoder.FromPretrained(folder, new SentenceEncoderOptions
        {
            Quantization = quantization, Threads = threads, Pooling = PoolingStrategy.Mean, Normalize = true,
        });

    /// <summary>64-bit FNV-1a of the embeddings' float bits, as 16 hex digits: written out here, since .NET's SHA-256
    /// on Linux needs OpenSSL, which a bare ARM64 root under qemu lacks (the process aborts without it).</summary>
    private static string Hash(float[][] vectors)
    {
        ulong hash = 14695981039346656037;
        foreach (float value in vectors.SelectMany(v => v))
        {
            uint bits = (uint)BitConverter.SingleToInt32Bits(value);
            for (int shift = 0; shift < 32; shift += 8)
            {
                hash = (hash ^ ((bits >> shift) & 0xFF)) * 1099511628211;
            }
        }

        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }
}
