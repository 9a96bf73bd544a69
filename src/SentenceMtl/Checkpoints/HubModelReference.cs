using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// A model on the Hugging Face hub: <c>org/name</c>, optionally pinned as <c>org/name@revision</c> where the
/// revision is a branch, a tag or a 40-hex commit hash (default <c>main</c>, as in huggingface_hub).
/// </summary>
/// <param name="RepoId">The repository, <c>org/name</c>.</param>
/// <param name="Revision">The branch, tag or commit hash.</param>
internal sealed partial record HubModelReference(string RepoId, string Revision)
{
    /// <summary>The revision used when the id has no <c>@</c> suffix.</summary>
    public const string DefaultRevision = "main";

    /// <summary>Whether <see cref="Revision"/> is a full commit hash (then nothing about it can change on the hub).</summary>
    public bool IsCommit => IsCommitHash(Revision);

    /// <summary>Whether <paramref name="value"/> is a full lower-case commit hash.</summary>
    public static bool IsCommitHash(string value) => CommitPattern().IsMatch(value);

    /// <summary>
    /// Parses <c>org/name</c> or <c>org/name@revision</c>. Names follow the hub's rules (letters, digits, <c>-</c>,
    /// <c>_</c>, <c>.</c>; no <c>--</c> or <c>..</c>); a revision may contain <c>/</c> (<c>refs/pr/1</c>) but no
    /// empty, <c>.</c> or <c>..</c> segment, since it also names a file under <c>refs/</c>.
    /// </summary>
    public static bool TryParse(string id, [NotNullWhen(true)] out HubModelReference? reference)
    {
        reference = null;
        int at = id.IndexOf('@', StringComparison.Ordinal);
        string repoId = at < 0 ? id : id[..at];
        string revision = at < 0 ? DefaultRevision : id[(at + 1)..];
        string[] parts = repoId.Split('/');
        if (parts.Length != 2 || !parts.All(IsName) || !IsRevision(revision))
        {
            return false;
        }

        reference = new HubModelReference(repoId, revision);
        return true;
    }

    /// <summary>The id as the user would write it (<c>org/name</c> for the default revision).</summary>
    public override string ToString() => Revision == DefaultRevision ? RepoId : $"{RepoId}@{Revision}";

    private static bool IsName(string part) =>
        NamePattern().IsMatch(part) && !part.Contains("--", StringComparison.Ordinal) && !part.Contains("..", StringComparison.Ordinal);

    private static bool IsRevision(string revision) =>
        revision.Length is > 0 and <= 256
        && revision.All(c => !char.IsControl(c) && !char.IsWhiteSpace(c) && c is not ('\\' or ':' or '@'))
        && revision.Split('/').All(segment => segment is not ("" or "." or ".."));

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();

    [GeneratedRegex("^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$")]
    private static partial Regex NamePattern();
}
