using System.Reflection;

namespace SentenceMtl.Tests.MultiTask;

/// <summary>After <see cref="MultiTaskModel.Dispose"/>, every public instance member names the model in an <see cref="ObjectDisposedException"/>.</summary>
public sealed class MultiTaskModelDisposalTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static readonly string[] MemberNames =
    [
        "Encoder", "Options", "Tasks", "IsTrained", "FreezeHead", "UnfreezeHead", "IsHeadFrozen",
        "Predict(string)", "Predict(list)", "Evaluate", "Save",
    ];

    public static TheoryData<string> Members() => new(MemberNames);

    [Theory]
    [MemberData(nameof(Members))]
    public void Every_public_member_throws_ObjectDisposedException_naming_MultiTaskModel(string member)
    {
        var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        var dataset = MultiTaskDataset.Create(model.Tasks, [new MultiTaskExample("the team won", new Dictionary<string, string> { ["topic"] = "Sports" })]);
        model.Dispose();
        model.Dispose();                                                                        // idempotent

        var ex = Assert.Throws<ObjectDisposedException>(() => Use(model, member, dataset));

        Assert.Equal(typeof(MultiTaskModel).FullName, ex.ObjectName);
        Assert.DoesNotContain("HType", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_list_above_names_every_public_instance_member()
    {
        var declared = typeof(MultiTaskModel).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m is PropertyInfo || (m is MethodInfo method && !method.IsSpecialName))
            .Select(m => m.Name).Where(n => n != nameof(MultiTaskModel.Dispose)).Distinct().Order(StringComparer.Ordinal);

        var covered = MemberNames.Select(name => name.Split('(')[0]).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(declared, covered);
    }

    private void Use(MultiTaskModel model, string member, MultiTaskDataset dataset)
    {
        switch (member)
        {
            case "Encoder": _ = model.Encoder; break;
            case "Options": _ = model.Options; break;
            case "Tasks": _ = model.Tasks; break;
            case "IsTrained": _ = model.IsTrained; break;
            case "FreezeHead": model.FreezeHead("topic"); break;
            case "UnfreezeHead": model.UnfreezeHead("topic"); break;
            case "IsHeadFrozen": _ = model.IsHeadFrozen("topic"); break;
            case "Predict(string)": model.Predict("the team won"); break;
            case "Predict(list)": model.Predict(["the team won"]); break;
            case "Evaluate": model.Evaluate(dataset); break;
            case "Save": model.Save(Path.Combine(folder.Path, "saved")); break;
            default: throw new ArgumentOutOfRangeException(nameof(member), member, null);
        }
    }
}
