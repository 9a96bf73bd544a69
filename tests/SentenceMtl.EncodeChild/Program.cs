using System.Globalization;
using SentenceMtl;

// Usage: SentenceMtl.EncodeChild <model name>
// Loads the model (an embedded one: sentencemtl-models/<name>/ beside this program) and prints
// "encode: length=N norm=X" for one sentence.
using var encoder = SentenceEncoder.FromPretrained(args[0]);
float[] vector = encoder.Encode(["A man is playing a guitar."])[0];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"encode: length={vector.Length} norm={Math.Sqrt(vector.Sum(x => (double)x * x)):R}"));
