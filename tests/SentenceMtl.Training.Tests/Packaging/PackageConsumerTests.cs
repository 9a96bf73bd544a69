using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SentenceMtl.Tests.Packaging;

/// <summary>
/// The NuGet packages work on their own: packed from this repository, consumed by a fresh app through a local feed
/// (see <see cref="PackageConsumerFixture"/>; about two minutes). Filter it out locally with
/// <c>dotnet test --filter Category!=Packaging</c>.
/// </summary>
[Trait("Category", "Packaging")]
[Collection(PackagingCollection.Name)]
public sealed partial class PackageConsumerTests(PackageConsumerFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData("SentenceMtl", "MIT")]
    [InlineData("SentenceMtl.Training", "MIT")]
    public void The_library_package_has_a_readme_a_licence_xml_docs_and_a_symbol_package(string id, string licence)
    {
        using var package = ZipFile.OpenRead(fixture.Nupkg(id));
        var metadata = Nuspec(package);

        Assert.Equal(fixture.Version, Element(metadata, "version"));
        Assert.Equal(licence, Element(metadata, "license"));
        Assert.Equal("expression", metadata.Elements().Single(e => e.Name.LocalName == "license").Attribute("type")?.Value);
        string readme = Element(metadata, "readme");
        Assert.NotNull(package.GetEntry(readme));
        Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.dll"));
        Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.xml"));

        using var symbols = ZipFile.OpenRead(fixture.Snupkg(id));
        Assert.NotNull(symbols.GetEntry($"lib/net10.0/{id}.pdb"));
    }

    /// <summary>The files of a sentence-transformers folder as the model packages hold it.</summary>
    private static readonly string[] ModelFolderFiles =
    [
        "1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json",
        "sentence_bert_config.json", "sentencemtl_model.json", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt",
    ];

    [Theory]
    [InlineData("SentenceMtl.Models.AllMiniLML6V2", "all-MiniLM-L6-v2")]
    [InlineData("SentenceMtl.Models.SnowflakeArcticEmbedXs", "snowflake-arctic-embed-xs")]
    public void Each_model_package_holds_one_model_folder_no_assembly_and_depends_on_SentenceMtl_alone(string id, string model)
    {
        using var package = ZipFile.OpenRead(fixture.Nupkg(id));
        var metadata = Nuspec(package);
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => $"{e.Attribute("id")?.Value} {e.Attribute("version")?.Value}");
        var entries = package.Entries.Select(e => e.FullName).ToList();

        Assert.Equal("MIT AND Apache-2.0", Element(metadata, "license"));
        Assert.NotNull(package.GetEntry(Element(metadata, "readme")));
        Assert.Equal([$"SentenceMtl {fixture.Version}"], dependencies);
        Assert.Equal(["lib/net10.0/_._"], entries.Where(n => n.StartsWith("lib/", StringComparison.Ordinal)));
        Assert.Equal(ModelFolderFiles.Select(f => $"sentencemtl-models/{model}/{f}"),
            entries.Where(n => n.StartsWith("sentencemtl-models/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(entries, n => n.EndsWith(".dll", StringComparison.Ordinal) || n.EndsWith(".onnx", StringComparison.Ordinal));
        Assert.NotNull(package.GetEntry($"buildTransitive/{id}.targets"));
        Assert.NotNull(package.GetEntry("THIRD-PARTY-NOTICES.txt"));
    }

    [Fact]
    public void The_core_package_depends_on_no_TorchSharp_and_no_native_package_and_carries_no_build_step()
    {
        using var package = ZipFile.OpenRead(fixture.Nupkg("SentenceMtl"));
        var dependencies = Nuspec(package).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();

        Assert.Equal(["CsvHelper", "Microsoft.Extensions.AI.Abstractions", "Microsoft.Extensions.DependencyInjection.Abstractions", "System.Numerics.Tensors"],
            dependencies.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(package.Entries, e => e.FullName.StartsWith("buildTransitive/", StringComparison.Ordinal)
            || e.FullName.StartsWith("tools/", StringComparison.Ordinal) || e.FullName.StartsWith("runtimes/", StringComparison.Ordinal));
    }

    [Fact]
    public void The_training_package_carries_its_native_build_step_and_tool_but_no_dependency_on_the_tool()
    {
        using var package = ZipFile.OpenRead(fixture.Nupkg("SentenceMtl.Training"));
        var dependencies = Nuspec(package).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();

        Assert.Contains("SentenceMtl", dependencies);
        Assert.Contains("TorchSharp-cpu", dependencies);
        Assert.NotNull(package.GetEntry("buildTransitive/SentenceMtl.Training.targets"));
        Assert.Equal(
            ["tools/net10.0/SentenceMtl.NativePatch.dll", "tools/net10.0/SentenceMtl.NativePatch.runtimeconfig.json"],
            package.Entries.Select(e => e.FullName).Where(n => n.StartsWith("tools/", StringComparison.Ordinal)).Order());
        Assert.DoesNotContain(Nuspec(package).Descendants().Where(e => e.Name.LocalName == "dependency"),
            e => e.Attribute("id")?.Value.Contains("NativePatch", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void A_fresh_app_built_against_the_packages_encodes_offline_and_trains()
    {
        AssertWeightsBeside(fixture.BuildOutput);
        AssertUnitVectorOf384(fixture.BuiltRun);

        var train = TrainLine().Match(fixture.BuiltRun);
        Assert.True(train.Success, fixture.BuiltRun);
        Assert.Equal("2", train.Groups["epochs"].Value);
        Assert.True(double.IsFinite(double.Parse(train.Groups["loss"].Value, CultureInfo.InvariantCulture)), fixture.BuiltRun);
        Assert.Contains(train.Groups["topic"].Value, TaskDefinition.Topic.Labels);
        Assert.Contains(train.Groups["sentiment"].Value, TaskDefinition.Sentiment.Labels);
    }

    [Fact]
    public void The_published_app_carries_the_weights_and_encodes()
    {
        AssertWeightsBeside(fixture.PublishOutput);
        AssertUnitVectorOf384(fixture.PublishedRun);
    }

    [SkippableFact]
    public void The_native_library_fix_patches_the_app_folders_and_never_the_NuGet_cache()
    {
        Skip.If(fixture.CachedNativeLibrary is null, "TorchSharp has no Linux x64 native library here: nothing is patched.");

        Assert.Equal(fixture.NativeHashInNupkg, fixture.NativeHashBefore);
        Assert.Equal(fixture.NativeHashInNupkg, fixture.NativeHashAfter);
        foreach (string run in new[] { fixture.BuiltRun, fixture.PublishedRun, fixture.ReadOnlyRun })
        {
            Assert.DoesNotContain(fixture.PackagesFolder, NativeLine(run));
        }
    }

    [SkippableFact]
    public void With_the_build_step_turned_off_the_run_time_fallback_patches_the_built_copy()
    {
        Skip.If(fixture.CachedNativeLibrary is null, "TorchSharp has no Linux x64 native library here: nothing is patched.");

        // Built with SentenceMtlWeakenGlibcxxRequirement=false, the copy reached the app strong: the app either found the
        // system new enough or marked the copy itself.
        string native = NativeLine(fixture.BuiltRun);
        Assert.DoesNotContain("has no strong", native, StringComparison.Ordinal);
        if (native.Contains("marked", StringComparison.Ordinal)) // this system's libstdc++ predates GCC 13
        {
            Assert.Contains(Path.Combine(fixture.BuildOutput, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), native);
            Assert.True(fixture.BuiltNativeWeak, native);
        }
    }

    [SkippableFact]
    public void The_build_step_marks_the_published_copies_weak_before_the_app_runs()
    {
        Skip.If(fixture.CachedNativeLibrary is null, "TorchSharp has no Linux x64 native library here: nothing is patched.");

        Assert.True(fixture.PublishedNativeWeakBeforeRun, "runtimes/linux-x64/native/libLibTorchSharp.so in " + fixture.PublishOutput);
        Assert.True(fixture.ReadOnlyNativeWeakBeforeRun, "libLibTorchSharp.so in " + fixture.ReadOnlyPublishOutput);
        Assert.Contains("has no strong", NativeLine(fixture.PublishedRun), StringComparison.Ordinal);
        Assert.True(fixture.PublishedNativeWeak);
    }

    [SkippableFact]
    public void A_read_only_published_app_encodes_as_an_unprivileged_user()
    {
        Skip.If(fixture.ReadOnlyRunSkipReason is not null, fixture.ReadOnlyRunSkipReason);

        Assert.Equal(["65534", "65534", "read-only"], fixture.ReadOnlyProbe.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        AssertWeightsBeside(fixture.ReadOnlyPublishOutput);
        AssertUnitVectorOf384(fixture.ReadOnlyRun);
        Assert.True(fixture.ReadOnlyNativeWeakBeforeRun);
        Assert.Equal(fixture.ReadOnlyNativeHashBefore, fixture.ReadOnlyNativeHashAfter);
        string native = NativeLine(fixture.ReadOnlyRun);
        Assert.True(native.Contains("has no strong", StringComparison.Ordinal) || native.Contains("provides", StringComparison.Ordinal), native);
    }

    [SkippableFact]
    public void Without_the_build_step_the_read_only_unprivileged_app_encodes_and_its_first_torchsharp_use_names_the_fix()
    {
        Skip.If(fixture.ReadOnlyRunSkipReason is not null, fixture.ReadOnlyRunSkipReason);
        Skip.If(fixture.CachedNativeLibrary is null, "TorchSharp has no Linux x64 native library here: nothing is patched.");

        if (NativeLine(fixture.BuiltRun).Contains("marked", StringComparison.Ordinal)) // this system's libstdc++ predates GCC 13
        {
            // Encoding runs on the inference engine, which needs no native library, so it works with the strong copy;
            // the app's next step, TorchSharpNative.EnsureLoadable() (what any use of libtorch calls first), fails with
            // the message naming the fix.
            AssertUnitVectorOf384(fixture.StrongCopyRun);
            Assert.Contains("could not be patched", fixture.StrongCopyRun, StringComparison.Ordinal);
            Assert.Contains("SentenceMtlWeakenGlibcxxRequirement", fixture.StrongCopyRun, StringComparison.Ordinal);
        }
        else
        {
            AssertUnitVectorOf384(fixture.StrongCopyRun);
        }
    }

    [Fact]
    public void A_runtime_identifier_publishes_one_systems_natives_and_pruning_restores_one_systems_libtorch()
    {
        Assert.False(Directory.Exists(Path.Combine(fixture.ReadOnlyPublishOutput, "runtimes")), fixture.ReadOnlyPublishOutput);
        Assert.True(File.Exists(Path.Combine(fixture.ReadOnlyPublishOutput, "libtorch_cpu.so")), fixture.ReadOnlyPublishOutput);

        Assert.Contains("libtorch-cpu-linux-x64", fixture.LinuxOnlyRestoredPackages);
        Assert.Contains("torchsharp", fixture.LinuxOnlyRestoredPackages);
        Assert.DoesNotContain(fixture.LinuxOnlyRestoredPackages, p => p is "libtorch-cpu-osx-arm64" or "libtorch-cpu-win-x64");
    }

    [Fact]
    public void An_app_that_references_the_core_alone_embeds_searches_and_predicts_with_no_native_library()
    {
        AssertUnitVectorOf384(fixture.InferenceRun);
        Assert.Contains("search: best=1 ", fixture.InferenceRun, StringComparison.Ordinal);
        Assert.Matches(@"predict: topic=\S+ mood\.fine=\S+", fixture.InferenceRun);
        Assert.Contains("native-libraries: none", fixture.InferenceRun, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.InferencePackages, p => p.Contains("torch", StringComparison.Ordinal) || p.Contains("skiasharp", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(fixture.InferencePublishOutput, "*.so", SearchOption.AllDirectories));
        AssertWeightsBeside(fixture.InferencePublishOutput);
    }

    [Fact]
    public void The_core_apps_restore_downloads_at_most_30_MB_and_its_linux_x64_publish_is_at_most_20_MB_besides_the_model()
    {
        output.WriteLine($"restore, model package aside: {fixture.InferenceRestoreBytes:N0} bytes in {string.Join(", ", fixture.InferencePackages)}");
        output.WriteLine($"publish -r linux-x64 without sentencemtl-models/: {fixture.InferencePublishBytesWithoutModel:N0} bytes");
        Assert.True(fixture.InferenceRestoreBytes <= 30_000_000,
            $"restore, model package aside: {fixture.InferenceRestoreBytes:N0} bytes ({string.Join(", ", fixture.InferencePackages)})");
        Assert.True(fixture.InferencePublishBytesWithoutModel <= 20_000_000, $"publish without the model: {fixture.InferencePublishBytesWithoutModel:N0} bytes");
    }

    [Fact]
    public void The_training_apps_publish_leaves_out_libtorchs_python_and_test_libraries()
    {
        foreach (string folder in new[] { fixture.BuildOutput, fixture.PublishOutput, fixture.ReadOnlyPublishOutput })
        {
            var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
            Assert.Contains("libtorch_cpu.so", files);
            Assert.DoesNotContain(files, f => f is "libtorch_python.so" or "libjitbackend_test.so" or "libtorchbind_test.so"
                or "libnnapi_backend.so" or "libbackend_with_compiler.so");
        }
    }

    private static string NativeLine(string run) =>
        run.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.StartsWith("native: ", StringComparison.Ordinal));


    /// <summary>The app's output holds the referenced model's folder, and only that model: no other model's folder,
    /// no carrier assembly, no model assembly.</summary>
    private static void AssertWeightsBeside(string folder)
    {
        string models = Path.Combine(folder, "sentencemtl-models");
        Assert.Equal(["all-MiniLM-L6-v2"], Directory.GetDirectories(models).Select(Path.GetFileName));
        string model = Path.Combine(models, "all-MiniLM-L6-v2");
        Assert.Equal(ModelFolderFiles, Directory.GetFiles(model, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(model, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(folder, "SentenceTransformers.*"));
        Assert.Empty(Directory.GetFiles(folder, "SentenceMtl.Models*"));
    }

    private static void AssertUnitVectorOf384(string output)
    {
        var encode = EncodeLine().Match(output);
        Assert.True(encode.Success, output);
        Assert.Equal("384", encode.Groups["length"].Value);
        Assert.Equal(1.0, double.Parse(encode.Groups["norm"].Value, CultureInfo.InvariantCulture), 1e-4);
    }

    private static XElement Nuspec(ZipArchive package)
    {
        var entry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string Element(XElement metadata, string name) =>
        metadata.Elements().Single(e => e.Name.LocalName == name).Value;

    [GeneratedRegex(@"^encode: length=(?<length>\d+) norm=(?<norm>\S+)$", RegexOptions.Multiline)]
    private static partial Regex EncodeLine();

    [GeneratedRegex(@"^train: epochs=(?<epochs>\d+) loss=(?<loss>\S+) topic=(?<topic>\S+) sentiment=(?<sentiment>\S+)$", RegexOptions.Multiline)]
    private static partial Regex TrainLine();
}
