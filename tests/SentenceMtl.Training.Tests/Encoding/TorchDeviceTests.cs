using static TorchSharp.torch;

namespace SentenceMtl.Tests.Encoding;

/// <summary><see cref="TrainerOptions.Device"/>: misspelt names and a missing CUDA backend say what to use instead.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class TorchDeviceTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private MultiTaskModel Model() => MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda0")]
    [InlineData("mps")]
    [InlineData("")]
    [InlineData("cpu:0:1")]
    public void An_unknown_device_name_is_an_ArgumentException_naming_Device_and_the_accepted_strings(string device)
    {
        var ex = Assert.Throws<ArgumentException>(() => new MultiTaskTrainer(Model(), new TrainerOptions { Device = device }));

        Assert.Equal("Device", ex.ParamName);
        Assert.Contains($"\"{device}\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"cpu\", \"cuda\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"cuda:N\"", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Requested value", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("CPU")]
    public void Cpu_in_any_case_trains_on_the_cpu(string device)
    {
        using var model = Model();
        var result = new MultiTaskTrainer(model, new TrainerOptions { Device = device, Epochs = 1 }).Train(MultiTask.TinyData.Dataset());

        Assert.Single(result.Epochs);
    }

    [SkippableTheory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    [InlineData("CUDA:0")]
    public void Cuda_without_the_CUDA_package_names_the_package_that_brings_it(string device)
    {
        Skip.If(cuda.is_available(), "TorchSharp's CUDA backend is installed here");

        using var model = Model();
        var ex = Assert.Throws<InvalidOperationException>(() => new MultiTaskTrainer(model, new TrainerOptions { Device = device }).Train(MultiTask.TinyData.Dataset()));

        Assert.Contains("TrainerOptions.Device", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TorchSharp-cuda-linux", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TorchSharp-cuda-windows", ex.Message, StringComparison.Ordinal);
        Assert.Contains("in place of TorchSharp-cpu", ex.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3), ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LoadNativeBackend", ex.Message, StringComparison.Ordinal);
    }
}
