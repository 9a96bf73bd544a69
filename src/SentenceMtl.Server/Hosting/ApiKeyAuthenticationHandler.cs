using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SentenceMtl.Server.Endpoints;

namespace SentenceMtl.Server.Hosting;

/// <summary>The API key scheme's options: the SHA-256 hash of <see cref="ServerOptions.ApiKey"/>, or null when no key is set.</summary>
internal sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>SHA-256 of the key's UTF-8 bytes; null authenticates nobody (and no endpoint then requires it).</summary>
    public byte[]? KeyHash { get; set; }
}

/// <summary>
/// ASP.NET Core authentication for <see cref="ServerOptions.ApiKey"/>: a request carrying <c>Authorization: Bearer KEY</c>
/// is authenticated; the endpoints that require authorization (every work endpoint and <c>/metrics</c> when a key is
/// set; never the health checks) answer anyone else 401 with <c>WWW-Authenticate: Bearer</c> and the OpenAI error body
/// (code <c>invalid_api_key</c>). The scheme is matched in any case (RFC 7235); the key exactly, by comparing SHA-256
/// hashes in fixed time, so that neither the key's content nor its length shows in the time a guess takes.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    private const string Bearer = "Bearer ";

    /// <summary>Authenticates a request whose <c>Authorization</c> header is <c>Bearer</c> the key.</summary>
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Options.KeyHash is not { } expected)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        string header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        byte[] given = SHA256.HashData(Encoding.UTF8.GetBytes(header[Bearer.Length..]));
        if (!CryptographicOperations.FixedTimeEquals(given, expected))
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not the server's."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "api-key")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>401 in the OpenAI error shape, with <c>WWW-Authenticate: Bearer</c>.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ErrorHandling.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            "Missing or incorrect API key: send the header 'Authorization: Bearer <key>' with the key the server was given (SentenceMtl:ApiKey).",
            ApiException.InvalidRequest, null, "invalid_api_key");
    }

    /// <summary>Registers the scheme (the default one) and authorization; the key's hash comes from <see cref="ServerOptions"/>.
    /// The core of authentication only: <c>AddAuthentication</c> would also start Data Protection, which cookies need and
    /// this server does not, and which looks for a writable key folder at start-up (the container's file system is read-only).</summary>
    public static void AddServices(IServiceCollection services)
    {
        services.AddAuthenticationCore(authentication => authentication.DefaultScheme = SchemeName);
        // What AddAuthentication adds besides Data Protection, and the handler needs.
        services.AddWebEncoders();
        services.TryAddSingleton(TimeProvider.System);
        new AuthenticationBuilder(services).AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(SchemeName, null);
        services.AddOptions<ApiKeyAuthenticationOptions>(SchemeName).Configure<IOptions<ServerOptions>>((scheme, server) =>
            scheme.KeyHash = server.Value.ApiKey is { } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null);
        services.AddAuthorization();
    }
}
