package dev.overseer.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.util.Optional;
import java.util.Set;

/** Typed reads of request-body fields with precise 400 details. */
public final class JsonFields {
    private JsonFields() {
    }

    /** Rejects fields the endpoint does not know, so a typo is not silently ignored. */
    public static void allowOnly(ObjectNode body, Set<String> known) throws ApiProblem {
        Optional<String> unknown = Json.unknownField(body, known);
        if (unknown.isPresent()) {
            throw ApiProblem.badRequest("unknown field '" + unknown.get() + "'; allowed: "
                    + String.join(", ", known.stream().sorted().toList()));
        }
    }

    public static String requiredString(ObjectNode body, String field, int maxLength) throws ApiProblem {
        String value = optionalString(body, field, maxLength);
        if (value == null) {
            throw ApiProblem.badRequest("'" + field + "' is required");
        }
        if (value.isBlank()) {
            throw ApiProblem.badRequest("'" + field + "' must not be blank");
        }
        return value;
    }

    public static String optionalString(ObjectNode body, String field, int maxLength) throws ApiProblem {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw ApiProblem.badRequest("'" + field + "' must be a string, not " + describe(value));
        }
        if (value.asText().length() > maxLength) {
            throw ApiProblem.badRequest("'" + field + "' is longer than " + maxLength + " characters");
        }
        if (value.asText().indexOf('\0') >= 0) {
            // PostgreSQL's text cannot hold it; refused here on every database alike.
            throw ApiProblem.badRequest("'" + field + "' must not contain U+0000");
        }
        return value.asText();
    }

    public static ObjectNode optionalObject(ObjectNode body, String field) throws ApiProblem {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            throw ApiProblem.badRequest("'" + field + "' must be a JSON object, not " + describe(value));
        }
        return (ObjectNode) value;
    }

    private static String describe(JsonNode value) {
        return switch (value.getNodeType()) {
            case ARRAY -> "an array";
            case BOOLEAN -> "a boolean";
            case NUMBER -> "a number";
            case OBJECT -> "an object";
            case STRING -> "a string";
            default -> value.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
