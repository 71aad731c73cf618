package dev.overseer.it;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Reads a JSON text without re-serialising it, so tests can compare the exact bytes the server sent. */
final class RawJson {
    private RawJson() {
    }

    /** The exact text of each element of the top-level object's array field {@code field}. */
    static List<String> arrayElements(String json, String field) {
        try (JsonParser parser = WsClient.JSON.getFactory().createParser(json)) {
            expect(parser.nextToken(), JsonToken.START_OBJECT, json);
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (!name.equals(field)) {
                    parser.skipChildren();
                    continue;
                }
                expect(value, JsonToken.START_ARRAY, json);
                List<String> elements = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    int start = (int) parser.currentTokenLocation().getCharOffset();
                    parser.skipChildren();
                    int end = (int) parser.currentLocation().getCharOffset();
                    elements.add(json.substring(start, end));
                }
                return elements;
            }
            throw new AssertionError("no field '" + field + "' in " + json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static void expect(JsonToken actual, JsonToken expected, String json) {
        if (actual != expected) {
            throw new AssertionError("expected " + expected + " but found " + actual + " in " + json);
        }
    }
}
