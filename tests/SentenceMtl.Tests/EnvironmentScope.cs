namespace SentenceMtl.Tests;

/// <summary>Sets environment variables (null removes) and restores them on dispose.</summary>
internal sealed class EnvironmentScope : IDisposable
{
    private readonly (string Name, string? Value)[] saved;

    public EnvironmentScope(params (string Name, string? Value)[] values)
    {
        saved = [.. values.Select(v => (v.Name, Environment.GetEnvironmentVariable(v.Name)))];
        foreach (var (name, value) in values)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
