using System.Text.Json;

namespace SentenceMtl.Tests.Packaging;

/// <summary>
/// The size advice's restore half: a project that references SentenceMtl with a linux-x64 runtime identifier and prunes
/// the other systems' libtorch packages restores only the Linux one (what NuGet would download and unpack). The prune
/// lines are read from the README, so this restores with the instruction as users read it (see ReadmePruneLinesTests).
/// </summary>
public sealed partial class PackageConsumerFixture
{
    /// <summary>The package ids (lower case) in the linux-only project's restore graph.</summary>
    public IReadOnlyList<string> LinuxOnlyRestoredPackages { get; private set; } = [];

    private void RestoreLinuxOnly(IReadOnlyDictionary<string, string> environment)
    {
        string project = Directory.CreateDirectory(Path.Combine(root, "linux-only")).FullName;
        File.Copy(Path.Combine(App, "nuget.config"), Path.Combine(project, "nuget.config"));
        File.WriteAllText(Path.Combine(project, "LinuxOnly.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SentenceMtl.Training" Version="{Version}" />
                {string.Join("\n                ", ReadmePruneLines.Lines())}
              </ItemGroup>
            </Project>
            """);
        DotnetCli.Run(project, StepTimeout, environment, "restore", "--disable-build-servers");
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(project, "obj", "project.assets.json")));
        LinuxOnlyRestoredPackages = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(p => p.Name.Split('/')[0].ToLowerInvariant()).ToList();
    }
}
