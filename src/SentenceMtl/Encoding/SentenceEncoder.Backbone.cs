using System.Runtime.ExceptionServices;
using SentenceMtl.Modeling.Bert;

namespace SentenceMtl;

/// <summary>The encoder's TorchSharp backbone, read when first needed for an encoder loaded with its inference engine.</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The TorchSharp backbone. An encoder loaded for inference alone (frozen, on the CPU, with its engine) reads it from
    /// its weight file only when something needs it (training, saving, the libtorch path), so embedding never loads
    /// libtorch; afterwards it stays.
    /// </summary>
    internal BertModel Backbone
    {
        get
        {
            if (Volatile.Read(ref model) is { } loaded)
            {
                return loaded;
            }

            lock (backboneGate)
            {
                if (model is null)
                {
                    // On a thread of its own: a caller's dispose scope would otherwise take the new parameters and free
                    // them when it ends, and its inference mode would make them inference tensors (both are per thread).
                    model = OnOwnThread(loadBackbone!);
                }

                return model;
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> on a new thread and returns its result, or rethrows its exception with its
    /// stack (a task could run inline on the waiting thread, inside the caller's scopes).</summary>
    private static T OnOwnThread<T>(Func<T> work)
    {
        T? result = default;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        { Name = "SentenceMtl backbone load" };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result!;
    }

    /// <summary>The backbone's configuration (<c>config.json</c>).</summary>
    internal BertConfig Config => config;
}
