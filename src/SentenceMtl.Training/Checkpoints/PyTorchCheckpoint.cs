using SentenceMtl.Serialization;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Converts a <c>torch.save</c> state dict (<c>pytorch_model.bin</c>), which only libtorch's unpickler reads, into the
/// <c>model.safetensors</c> that the core package loads: for older Hugging Face checkpoints published without one.
/// </summary>
public static class PyTorchCheckpoint
{
    /// <summary>
    /// Writes <c>model.safetensors</c> beside <c>pytorch_model.bin</c> in <paramref name="folder"/> (every floating-point
    /// tensor as float32, under its own name), atomically; the <c>.bin</c> file is left as it is.
    /// </summary>
    /// <param name="folder">A Hugging Face model folder holding <c>pytorch_model.bin</c>.</param>
    /// <returns>The path of the new file.</returns>
    /// <exception cref="ModelFormatException">The folder has no <c>pytorch_model.bin</c>, or it is not a readable state dict.</exception>
    /// <exception cref="IOException"><c>model.safetensors</c> exists already (nothing is overwritten).</exception>
    /// <exception cref="PlatformNotSupportedException">libtorch does not exist for this platform.</exception>
    public static string ConvertToSafetensors(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string source = Path.GetFullPath(Path.Combine(folder, "pytorch_model.bin"));
        string target = Path.GetFullPath(Path.Combine(folder, "model.safetensors"));
        if (!File.Exists(source))
        {
            throw new ModelFormatException(source, "file not found: this folder has no PyTorch checkpoint to convert.");
        }

        if (File.Exists(target))
        {
            throw new IOException($"'{target}' exists already; nothing was converted (delete it first to convert again).");
        }

        TorchSharpNative.EnsureLoadable();
        var tensors = TensorConversion.ReadWeightFile(source);
        try
        {
            // Integer tensors in BERT checkpoints are buffers such as position_ids, which loading drops anyway.
            var data = tensors.Where(kv => kv.Value.is_floating_point()).Select(kv => TensorConversion.ToData(kv.Key, kv.Value)).ToList();
            string partial = target + ".partial";
            SafetensorsWriter.Write(partial, data, new Dictionary<string, string> { ["format"] = "pt" });
            File.Move(partial, target);
            return target;
        }
        finally
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }
}
