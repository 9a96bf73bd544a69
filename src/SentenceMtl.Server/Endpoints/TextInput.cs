using System.Text.Json;
using System.Text.Json.Serialization;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// A request's <c>input</c>/<c>inputs</c> field as read: a string or an array of strings, or what was found instead
/// (<see cref="RequestReader.Texts"/> turns that into the error). Read straight from the body's bytes into strings:
/// a <c>JsonElement</c> would first copy the field (up to the whole body) into an array from the shared pool, which
/// keeps such arrays long after a burst.
/// </summary>
[JsonConverter(typeof(TextInputConverter))]
internal sealed class TextInput
{
    /// <summary>The texts read, in order, up to the first item that is not a valid string.</summary>
    public List<string> Texts { get; } = [];

    /// <summary>Whether the field was a single string (not an array).</summary>
    public bool IsString { get; set; }

    /// <summary>The field's kind when it is neither a string nor an array (e.g. <c>JsonTokenType.Number</c>).</summary>
    public JsonTokenType? WrongKind { get; set; }

    /// <summary>How many items the array has (all of them, also past a bad one).</summary>
    public int Count { get; set; }

    /// <summary>The index of the first item that is not a valid string, or -1.</summary>
    public int BadIndex { get; set; } = -1;

    /// <summary>That item's kind; <see cref="JsonTokenType.String"/> for a string that is not valid text.</summary>
    public JsonTokenType BadKind { get; set; }
}

/// <summary>Reads a <see cref="TextInput"/>; never throws for the field's content, only for malformed JSON.</summary>
internal sealed class TextInputConverter : JsonConverter<TextInput>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override TextInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var input = new TextInput();
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                input.IsString = true;
                input.Count = 1;
                AddText(ref reader, input);
                break;
            case JsonTokenType.StartArray:
                ReadArray(ref reader, input);
                break;
            default:
                input.WrongKind = reader.TokenType;
                reader.Skip();
                break;
        }

        return input;
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TextInput value, JsonSerializerOptions options) =>
        throw new NotSupportedException("TextInput is read from requests only.");

    private static void ReadArray(ref Utf8JsonReader reader, TextInput input)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int index = input.Count++;
            if (input.BadIndex >= 0)
            {
                reader.Skip();
            }
            else if (reader.TokenType == JsonTokenType.String)
            {
                AddText(ref reader, input);
            }
            else
            {
                input.BadIndex = index;
                input.BadKind = reader.TokenType;
                reader.Skip();
            }
        }
    }

    private static void AddText(ref Utf8JsonReader reader, TextInput input)
    {
        try
        {
            input.Texts.Add(reader.GetString()!);
        }
        catch (InvalidOperationException)
        {
            // GetString throws this for invalid UTF-8 bytes and for escapes that leave a surrogate unpaired.
            input.BadIndex = input.Count - 1;
            input.BadKind = JsonTokenType.String;
        }
    }
}
