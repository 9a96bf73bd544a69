using SentenceMtl.Native;

// Usage: dotnet SentenceMtl.NativePatch.dll <libLibTorchSharp.so>…
// Marks the GLIBCXX_3.4.32 requirement weak in each named copy (see GlibcxxRequirement.Weaken); a missing file is
// an error, an already-weak copy is left untouched. Failures print in MSBuild's canonical error format, so the
// Exec task that runs this tool reports them as build errors that name the file.
int failures = 0;
foreach (string library in args)
{
    try
    {
        Console.WriteLine(GlibcxxRequirement.Weaken(library));
    }
    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException
                                   or SentenceMtl.ModelFormatException)
    {
        Console.Error.WriteLine(
            $"{library} : error SMTLNATIVE1: could not mark {GlibcxxRequirement.Version} weak: {ex.Message} " +
            "To build without this step, set the MSBuild property SentenceMtlWeakenGlibcxxRequirement to false.");
        failures++;
    }
}

return failures == 0 ? 0 : 1;
