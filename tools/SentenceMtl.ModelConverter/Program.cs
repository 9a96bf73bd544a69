using SentenceMtl;
using SentenceMtl.ModelConverter;

// SentenceMtl.ModelConverter --carrier <assembly.dll> --model <models/name folder> --output <folder>
// Errors are printed in MSBuild's canonical format, so the build that runs this fails with the message itself.
const string Usage = "usage: SentenceMtl.ModelConverter --carrier <SentenceTransformers.*.dll> --model <models/{name} folder> --output <folder>";
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i]] = args[i + 1];
}

if (args.Length != 6 || !options.TryGetValue("--carrier", out string? carrier) || !options.TryGetValue("--model", out string? model)
    || !options.TryGetValue("--output", out string? output))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

try
{
    Converter.Convert(carrier, model, output);
    Console.WriteLine($"SentenceMtl.ModelConverter: wrote {Path.GetFullPath(output)}");
    return 0;
}
catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException)
{
    Console.WriteLine($"SentenceMtl.ModelConverter : error SMC0001: {ex.Message}");
    return 1;
}
