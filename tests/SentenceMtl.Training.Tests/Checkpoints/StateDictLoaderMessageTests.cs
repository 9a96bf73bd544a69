using SentenceMtl.Checkpoints;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.Tests.Modeling.Bert;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>A checkpoint with thousands of unexpected keys gets a message that lists a bounded few.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class StateDictLoaderMessageTests
{
    static StateDictLoaderMessageTests() => TorchSharpNative.EnsureLoadable();

    [Fact]
    public void Thousands_of_unexpected_keys_are_listed_in_a_bounded_message()
    {
        using var model = new BertModel(BertModelTests.Tiny);
        using var scope = NewDisposeScope();
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone(), StringComparer.Ordinal);
        for (int i = 0; i < 5000; i++)
        {
            weights[$"extra.{i}." + new string('w', 1000)] = zeros(1);
        }

        var ex = Assert.Throws<ModelFormatException>(() => StateDictLoader.Load(model, weights, "model.safetensors"));

        Assert.Contains("unexpected keys: extra.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("and 4980 more", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 4000, $"{ex.Message.Length} characters");
    }
}
