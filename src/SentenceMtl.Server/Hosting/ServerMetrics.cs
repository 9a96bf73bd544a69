using System.Diagnostics.Metrics;

namespace SentenceMtl.Server.Hosting;

/// <summary>
/// The server's instruments (meter <see cref="MeterName"/>), exported at <c>/metrics</c> by OpenTelemetry's Prometheus
/// exporter: texts and requests per batch, time spent queued, tokens embedded. Requests themselves are measured by
/// ASP.NET Core's own <c>http.server.request.duration</c> (meter <see cref="HostingMeterName"/>), by route and status.
/// </summary>
internal sealed class ServerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "SentenceMtl.Server";

    /// <summary>ASP.NET Core's meter of <c>http.server.request.duration</c>, exported beside the server's own.</summary>
    public const string HostingMeterName = "Microsoft.AspNetCore.Hosting";

    private static readonly int[] SizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];
    private static readonly double[] SecondBuckets = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Histogram<int> batchTexts;
    private readonly Histogram<int> batchRequests;
    private readonly Histogram<double> queueTime;
    private readonly Counter<long> tokens;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public ServerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        batchTexts = meter.CreateHistogram("sentencemtl.batch.size", "{text}", "Texts per coalesced batch (one Encode call).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = SizeBuckets });
        batchRequests = meter.CreateHistogram("sentencemtl.batch.requests", "{request}", "Requests coalesced into one batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = SizeBuckets });
        queueTime = meter.CreateHistogram("sentencemtl.queue.time", "s", "Time a request waited before its batch started.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondBuckets });
        tokens = meter.CreateCounter<long>("sentencemtl.tokens", "{token}", "Tokens embedded or classified, [CLS] and [SEP] included.");
    }

    /// <summary>Records one batch: how many texts and requests it held.</summary>
    public void Batch(int texts, int requestCount)
    {
        batchTexts.Record(texts);
        batchRequests.Record(requestCount);
    }

    /// <summary>Records how long one request waited in the queue.</summary>
    public void Queued(TimeSpan wait) => queueTime.Record(wait.TotalSeconds);

    /// <summary>Counts the tokens of one request at <paramref name="route"/>.</summary>
    public void Tokens(string route, int count) => tokens.Add(count, new KeyValuePair<string, object?>("route", route));
}
