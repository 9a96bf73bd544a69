using System.Text.Json.Serialization;
using SentenceMtl.Checkpoints;
using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.Serialization;

/// <summary>
/// The JSON files SentenceMtl reads and writes itself, serialized by source-generated code, so the core trims and
/// compiles ahead of time without reflection: config.json, multitask_config.json (enums by name, as Python writes them)
/// and a save's manifest.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(BertConfig))]
[JsonSerializable(typeof(SaveManifest.Manifest))]
[JsonSerializable(typeof(MultiTaskModel.SavedConfig))]
internal sealed partial class CoreJson : JsonSerializerContext;
