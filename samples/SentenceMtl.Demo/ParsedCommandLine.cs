using System.CommandLine;

namespace SentenceMtl.Demo;

/// <summary>The outcome of <see cref="DemoCommandLine.Parse"/>.</summary>
/// <param name="Result">System.CommandLine's parse result (to invoke help or version).</param>
/// <param name="Arguments">The checked arguments; null on an error or a built-in action.</param>
/// <param name="Error">A one-line message for the user; null when the command line is valid.</param>
internal sealed record ParsedCommandLine(ParseResult Result, DemoArguments? Arguments, string? Error);
