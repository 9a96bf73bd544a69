// The servers share the process's OpenTelemetry meter listeners and the machine's cores: one test at a time keeps the
// metrics each test reads its own and the timing of the batching tests steady.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
