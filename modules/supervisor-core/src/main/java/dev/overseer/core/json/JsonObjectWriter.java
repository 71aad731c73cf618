package dev.overseer.core.json;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * A compact JSON object written straight into text, for the hot path (run events), where building a tree
 * and then serialising it costs several times the text itself. Strings are escaped by Jackson's
 * {@link JsonStringEncoder}; a nested tree's objects, arrays, strings, integers, booleans and nulls are walked
 * here and any other value is written by {@link Json#write}, so the text is what {@code Json.write} makes of
 * the same tree (JsonObjectWriterTest).
 */
public final class JsonObjectWriter {
    private static final JsonStringEncoder ESCAPES = JsonStringEncoder.getInstance();

    private final StringBuilder out;
    private boolean empty = true;

    /** Opens an object at the end of {@code out}; {@link #end} closes it. */
    public JsonObjectWriter(StringBuilder out) {
        this.out = out;
        out.append('{');
    }

    public JsonObjectWriter put(String name, String value) {
        name(name);
        if (value == null) {
            out.append("null");
        } else {
            string(value);
        }
        return this;
    }

    public JsonObjectWriter put(String name, long value) {
        name(name);
        out.append(value);
        return this;
    }

    /** A field holding a tree (null: JSON null), as Jackson writes it. */
    public JsonObjectWriter put(String name, JsonNode value) {
        name(name);
        tree(value);
        return this;
    }

    /** Opens an object as the value of field {@code name}: write its fields, then {@link #end} it. */
    public JsonObjectWriter object(String name) {
        name(name);
        return new JsonObjectWriter(out);
    }

    /** Closes this object. */
    public void end() {
        out.append('}');
    }

    /** Objects, arrays, strings, integers, booleans and nulls directly; other numbers and values by Jackson. */
    private void tree(JsonNode value) {
        if (value == null || value.isNull()) {
            out.append("null");
        } else if (value.isTextual()) {
            string(value.textValue());
        } else if (value.isIntegralNumber() && value.canConvertToLong()) {
            out.append(value.longValue());
        } else if (value.isBoolean()) {
            out.append(value.booleanValue());
        } else if (value.isObject()) {
            JsonObjectWriter object = new JsonObjectWriter(out);
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                object.name(field.getKey());
                tree(field.getValue());
            }
            object.end();
        } else if (value.isArray()) {
            out.append('[');
            for (int i = 0; i < value.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                tree(value.get(i));
            }
            out.append(']');
        } else {
            out.append(Json.write(value));
        }
    }

    private void name(String name) {
        if (!empty) {
            out.append(',');
        }
        empty = false;
        string(name);
        out.append(':');
    }

    private void string(String value) {
        out.append('"');
        if (needsEscapes(value)) {
            ESCAPES.quoteAsString(value, out);
        } else {
            out.append(value); // the usual case, in one copy instead of one append per character
        }
        out.append('"');
    }

    /** Whether Jackson would escape anything in {@code value}: quotes, backslashes and control characters. */
    private static boolean needsEscapes(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\') {
                return true;
            }
        }
        return false;
    }
}
