namespace SentenceMtl.Tests;

/// <summary>
/// Tests that seed torch's global random generator (dropout, initialisation) and compare results bitwise. They run
/// alone: another test drawing random numbers at the same time would change their dropout masks.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRngCollection
{
    public const string Name = "Global torch RNG";
}
