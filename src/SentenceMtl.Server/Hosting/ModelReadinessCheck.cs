using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SentenceMtl.Server.Hosting;

/// <summary>
/// Readiness: healthy once every configured model is loaded (<see cref="ModelHost.IsReady"/>); unhealthy while they load
/// (description <c>loading</c>) and after a load failed (<c>failed</c>). Tagged <see cref="Tag"/>, which the readiness
/// endpoints select; liveness runs no check at all.
/// </summary>
internal sealed class ModelReadinessCheck(ModelHost models) : IHealthCheck
{
    /// <summary>The check's name.</summary>
    public const string Name = "models";

    /// <summary>The tag of the checks that readiness runs.</summary>
    public const string Tag = "ready";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (models.IsReady)
        {
            return Task.FromResult(HealthCheckResult.Healthy("ok"));
        }

        return Task.FromResult(HealthCheckResult.Unhealthy(models.WhenReady.IsFaulted ? "failed" : "loading"));
    }
}
