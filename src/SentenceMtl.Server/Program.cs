using SentenceMtl.Server;

// dotnet run --project src/SentenceMtl.Server -c Release -- --urls http://127.0.0.1:5080 [--model NAME|PATH] [--classifier DIR]
return await ServerApp.RunAsync(args, Console.Error);

/// <summary>The server's entry point (named so that tests can host it with <c>WebApplicationFactory&lt;Program&gt;</c>).</summary>
public partial class Program;
