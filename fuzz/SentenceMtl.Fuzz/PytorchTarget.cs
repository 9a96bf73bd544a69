using SentenceMtl.Checkpoints;

namespace SentenceMtl.Fuzz;

/// <summary>
/// Feeds the input to <see cref="PyTorchArchive.Check"/>, the checks a <c>pytorch_model.bin</c> passes before
/// TorchSharp.PyBridge unpickles it: the zip directory, the sizes its entries declare, and every length the pickle
/// announces (<see cref="PickleScanner"/>). An input that does not start like a zip goes to the pickle scanner
/// directly: inside a zip, mutated pickles mostly fail the entry's CRC before the scanner sees them. The unpickling
/// itself needs libtorch, which the fuzz harness leaves out.
/// The contract for bad content is a <see cref="ModelFormatException"/>; any other exception escapes and afl-fuzz
/// records the input as a crash.
/// </summary>
internal static class PytorchTarget
{
    public static void Run(Stream input)
    {
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        try
        {
            if (buffer.Length >= 2 && buffer.GetBuffer()[0] == (byte)'P' && buffer.GetBuffer()[1] == (byte)'K')
            {
                PyTorchArchive.Check(buffer, "fuzz/pytorch_model.bin");
            }
            else
            {
                PickleScanner.Check(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "fuzz/pytorch_model.bin", "archive/data.pkl");
            }
        }
        catch (ModelFormatException)
        {
        }
    }
}
