using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace SentenceMtl.Server.Tests;

/// <summary>
/// The server on a real Kestrel at 127.0.0.1 (a free port), configured by <c>SentenceMtl:*</c> settings as the command
/// line would; <see cref="CreateClient"/> talks to it over HTTP.
/// </summary>
public sealed class ServerFactory : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string> settings;
    private readonly Action<IServiceCollection>? services;

    internal ServerFactory(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? services = null)
    {
        this.settings = settings;
        this.services = services;
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        StartServer();
    }

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address => new(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
        .Single().TrimEnd('/') + "/");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting("SentenceMtl:" + key, value);
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>A client for the server's address.</summary>
    public new HttpClient CreateClient() => new() { BaseAddress = Address };

    /// <summary>Waits (at most a minute) until <c>/health</c> answers 200.</summary>
    public async Task WaitUntilReadyAsync()
    {
        using var client = CreateClient();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while ((await client.GetAsync("/health")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "The server did not become ready within a minute.");
            await Task.Delay(20);
        }
    }
}

/// <summary>Helpers for the JSON answers.</summary>
internal static class Http
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body);
}
