namespace SentenceMtl.Tests.Encoding;

/// <summary>The two embedded models, loaded once for all tests of a collection.</summary>
public sealed class EmbeddedEncoders : IDisposable
{
    public EmbeddedEncoders()
    {
        MiniLm = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2");
        Arctic = SentenceEncoder.FromPretrained("snowflake-arctic-embed-xs");
    }

    public SentenceEncoder MiniLm { get; }

    public SentenceEncoder Arctic { get; }

    public SentenceEncoder Get(string name) => name == "all-MiniLM-L6-v2" ? MiniLm : Arctic;

    public void Dispose()
    {
        MiniLm.Dispose();
        Arctic.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EmbeddedEncodersCollection : ICollectionFixture<EmbeddedEncoders>
{
    public const string Name = "Embedded encoders";
}
