using System.Collections.Concurrent;

namespace SentenceMtl.SaveChild;

/// <summary>
/// Eight threads encode while another disposes the model, changes its freezing, or trains it. Calls may fail only
/// with <see cref="ObjectDisposedException"/> (after a dispose); anything else, or a crash, fails the run.
/// </summary>
internal static class Stress
{
    private const int Encoders = 8;

    private static readonly string[] Sentences =
    [
        "the team won the game !", "new phone app update", "terrible bug in the software", "fans loved the new movie !",
        "good health news from the doctor", "bad law , the election was lost", "the match was okay",
    ];

    public static int Run(string mode, string modelFolder, TimeSpan duration)
    {
        var deadline = DateTime.UtcNow + duration;
        var failures = new ConcurrentQueue<Exception>();
        var trained = Directory.CreateTempSubdirectory("sentencemtl-stress").FullName;
        using (var untrained = MultiTaskModel.Create(modelFolder, Dataset()))
        {
            new MultiTaskTrainer(untrained, new TrainerOptions { Epochs = 1 }).Train(Dataset());   // once: each round loads it
            untrained.Save(Path.Combine(trained, "model"));
        }

        int rounds = 0;
        long calls = 0;
        while (DateTime.UtcNow < deadline && failures.IsEmpty)
        {
            using var model = MultiTaskModel.Load(Path.Combine(trained, "model"));
            model.Encoder.Encode(Sentences);                                                    // packs the weights before the race starts
            using var stop = new CancellationTokenSource();
            var encoders = Enumerable.Range(0, Encoders).Select(i => new Thread(() => Encode(model, i, stop.Token, failures, ref calls))).ToArray();
            Array.ForEach(encoders, t => t.Start());
            try
            {
                Disturb(mode, model, failures, rounds);
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }

            stop.Cancel();
            Array.ForEach(encoders, t => t.Join());
            rounds++;
        }

        foreach (var failure in failures.Take(3))
        {
            Console.Error.WriteLine(failure);
        }

        Console.WriteLine($"ok {rounds} rounds, {calls} calls");
        Directory.Delete(trained, recursive: true);
        return failures.IsEmpty ? 0 : 3;
    }

    private static void Encode(MultiTaskModel model, int thread, CancellationToken stop, ConcurrentQueue<Exception> failures, ref long calls)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (thread % 2 == 0)
                {
                    model.Encoder.Encode(Sentences);
                }
                else
                {
                    model.Predict(Sentences);
                }

                Interlocked.Increment(ref calls);
            }
        }
        catch (ObjectDisposedException)
        {
            // the model was disposed under us: the documented outcome
        }
        catch (Exception ex)
        {
            failures.Enqueue(ex);
        }
    }

    private static void Disturb(string mode, MultiTaskModel model, ConcurrentQueue<Exception> failures, int round)
    {
        var random = new Random(round);
        switch (mode)
        {
            case "stress-dispose":
                Thread.Sleep(random.Next(0, 30));
                model.Dispose();
                Expect<ObjectDisposedException>(() => model.Encoder.Encode(Sentences), failures);
                Expect<ObjectDisposedException>(() => model.Predict(Sentences), failures);
                break;
            case "stress-freeze":
                for (int i = 0; i < 5; i++)
                {
                    model.FreezeHead("topic");
                    Thread.Sleep(random.Next(0, 3));
                    model.UnfreezeHead("topic");
                    Thread.Sleep(random.Next(0, 3));
                }

                break;
            case "stress-train":
                var strategy = round % 2 == 0 ? TrainingStrategy.FullFineTuning : TrainingStrategy.HeadsOnly;
                new MultiTaskTrainer(model, new TrainerOptions { Epochs = 2, BatchSize = 4, Strategy = strategy }).Train(Dataset());
                break;
            default:
                throw new ArgumentException($"Unknown mode '{mode}'.", nameof(mode));
        }
    }

    private static void Expect<T>(Action call, ConcurrentQueue<Exception> failures)
        where T : Exception
    {
        try
        {
            call();
            failures.Enqueue(new InvalidOperationException($"A call after Dispose did not throw {typeof(T).Name}."));
        }
        catch (T)
        {
        }
        catch (Exception ex)
        {
            failures.Enqueue(ex);
        }
    }

    internal static MultiTaskDataset Dataset() => MultiTaskDataset.Create([TaskDefinition.Topic, TaskDefinition.Sentiment],
    [
        new("the team won the game !", new Dictionary<string, string> { ["topic"] = "Sports", ["sentiment"] = "Positive" }),
        new("terrible bug in the software", new Dictionary<string, string> { ["topic"] = "Technology", ["sentiment"] = "Negative" }),
        new("new election law", new Dictionary<string, string> { ["topic"] = "Politics", ["sentiment"] = "Neutral" }),
        new("fans loved the new movie !", new Dictionary<string, string> { ["topic"] = "Entertainment", ["sentiment"] = "Positive" }),
        new("bad virus in the hospital", new Dictionary<string, string> { ["topic"] = "Health", ["sentiment"] = "Negative" }),
    ]);
}
