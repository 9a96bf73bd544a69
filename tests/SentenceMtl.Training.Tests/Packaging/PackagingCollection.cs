namespace SentenceMtl.Tests.Packaging;

/// <summary>The packaging tests: one <see cref="PackageConsumerFixture"/> for all of them, run alone (it keeps both
/// cores busy for a couple of minutes).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackagingCollection : ICollectionFixture<PackageConsumerFixture>
{
    public const string Name = "Packaging";
}
