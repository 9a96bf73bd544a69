namespace SentenceMtl.Tests;

/// <summary>
/// Tests that measure the process's resident memory around their own allocations. They run alone: another test
/// allocating or freeing at the same time moves RSS, and can even take the freed blocks a test means to return.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMemoryCollection
{
    public const string Name = "Process memory";
}
