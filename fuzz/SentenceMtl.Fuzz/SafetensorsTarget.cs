using SentenceMtl.Serialization;

namespace SentenceMtl.Fuzz;

/// <summary>
/// Feeds the input to <see cref="SafetensorsReader.Read(Stream, string)"/>. The reader's contract for bad bytes is a
/// <see cref="ModelFormatException"/>; any other exception escapes and afl-fuzz records the input as a crash.
/// </summary>
internal static class SafetensorsTarget
{
    public static void Run(Stream input)
    {
        // The reader needs a seekable stream (it checks the header against the length); stdin is not one. With a
        // MemoryStream an ArgumentException would itself be a bug, so only ModelFormatException is expected.
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        buffer.Position = 0;
        try
        {
            SafetensorsReader.Read(buffer, "fuzz.safetensors");
        }
        catch (ModelFormatException)
        {
        }
    }
}
