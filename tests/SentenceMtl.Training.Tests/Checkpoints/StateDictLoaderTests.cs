using SentenceMtl.Checkpoints;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.Serialization;
using SentenceMtl.Tests.Modeling.Bert;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Checkpoints;

[Collection(GlobalRngCollection.Name)]
public sealed class StateDictLoaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sdl-").FullName;

    static StateDictLoaderTests() => TorchSharpNative.EnsureLoadable();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Float32_safetensors_stream_into_the_parameters_bit_for_bit()
    {
        using var source = new BertModel(BertModelTests.Tiny);
        string path = Write(source, "bert.", t => TensorConversion.ToData(t.Name, t.Tensor));
        IReadOnlyCollection<string>? keys = null;
        using var target = StateDictLoader.LoadSafetensors(path, "bert.", k => { keys = k.Keys.ToList(); return new BertModel(BertModelTests.Tiny); });

        Assert.Equal(source.state_dict().Keys.Order(), keys!.Order());

        foreach (var (key, expected) in source.state_dict())
        {
            Assert.True(expected.allclose(target.state_dict()[key], rtol: 0, atol: 0), key);
        }
    }

    [Fact]
    public void Half_precision_files_take_the_converting_path()
    {
        using var source = new BertModel(BertModelTests.Tiny);
        string path = Write(source, "", t =>
        {
            using var half = t.Tensor.detach().to_type(ScalarType.Float16).contiguous();
            return new TensorData(t.Name, TensorDType.F16, half.shape, half.bytes.ToArray());
        });
        using var target = StateDictLoader.LoadSafetensors(path, "bert.", _ => new BertModel(BertModelTests.Tiny));

        foreach (var (key, expected) in source.state_dict())
        {
            using var rounded = expected.detach().to_type(ScalarType.Float16).to_type(ScalarType.Float32);
            Assert.True(rounded.allclose(target.state_dict()[key], rtol: 0, atol: 0), key);
        }
    }

    [Fact]
    public void A_missing_key_is_named_nothing_is_written_and_the_module_is_disposed()
    {
        using var source = new BertModel(BertModelTests.Tiny);
        string path = Write(source, "", t => TensorConversion.ToData(t.Name, t.Tensor), skip: "encoder.layer.1.output.dense.bias");
        Tensor? parameter = null, storage = null, before = null;
        var ex = Assert.Throws<ModelFormatException>(() => StateDictLoader.LoadSafetensors(path, "bert.", _ =>
        {
            var target = new BertModel(BertModelTests.Tiny);
            parameter = target.state_dict()["embeddings.word_embeddings.weight"];
            storage = parameter.alias();                                                        // outlives the module
            before = parameter.clone();
            return target;
        }));

        Assert.Contains("missing keys: encoder.layer.1.output.dense.bias", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.True(before!.allclose(storage!, rtol: 0, atol: 0));                             // nothing was written
        Assert.True(parameter!.IsInvalid);                                                      // and the module was disposed
        storage!.Dispose();
        before.Dispose();
    }

    private string Write(BertModel model, string prefix, Func<(string Name, Tensor Tensor), TensorData> convert, string? skip = null)
    {
        string path = Path.Combine(dir, "model.safetensors");
        var tensors = model.state_dict().Where(kv => kv.Key != skip).Select(kv => convert((prefix + kv.Key, kv.Value))).ToList();
        SafetensorsWriter.Write(path, tensors);
        return path;
    }
}
