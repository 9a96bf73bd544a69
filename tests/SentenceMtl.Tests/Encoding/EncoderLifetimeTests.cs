namespace SentenceMtl.Tests.Encoding;

/// <summary>Shared leases for calls that read the model, the exclusive one for calls that free or repack it.</summary>
public sealed class EncoderLifetimeTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void The_exclusive_lease_waits_for_a_shared_one_on_another_thread()
    {
        var lifetime = new EncoderLifetime("Test");
        var shared = lifetime.Share();
        var taken = new ManualResetEventSlim();
        var writer = new Thread(() =>
        {
            using var exclusive = lifetime.Exclusive();
            taken.Set();
        });
        writer.Start();
        Assert.False(taken.Wait(200));                                                          // still held by this thread
        shared.Dispose();
        Assert.True(taken.Wait(TimeSpan.FromSeconds(10)));
        writer.Join();
    }

    [Fact]
    public void Leases_are_reentrant_but_a_shared_holder_cannot_take_the_exclusive_one()
    {
        var lifetime = new EncoderLifetime("Test");
        using (lifetime.Exclusive())
        using (lifetime.Share())
        using (lifetime.Exclusive())
        {
        }

        using (lifetime.Share())
        {
            var ex = Assert.Throws<InvalidOperationException>(() => lifetime.Exclusive());
            Assert.Contains("from inside a call", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void After_dispose_every_call_throws_ObjectDisposedException_naming_the_type()
    {
        var encoder = SentenceEncoder.FromPretrained(folder.Model);
        encoder.Dispose();
        encoder.Dispose();                                                                      // idempotent
        Assert.Equal(typeof(SentenceEncoder).FullName, Assert.Throws<ObjectDisposedException>(() => encoder.Encode("the team won")).ObjectName);

        var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        model.Dispose();
        model.Dispose();
        Assert.Equal(typeof(MultiTaskModel).FullName, Assert.Throws<ObjectDisposedException>(() => model.Predict("the team won")).ObjectName);
        Assert.Throws<ObjectDisposedException>(() => model.FreezeHead("topic"));
        Assert.Throws<ObjectDisposedException>(() => model.Save(Path.Combine(folder.Path, "saved")));
    }
}
