package dev.overseer.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /asyncapi.json}: the hand-written AsyncAPI 3.0 description of {@code overseer.v1}
 * ({@code asyncapi-template.json}) completed with the run events of {@code openapi.json}, whose schemas are
 * copied, not restated, and turned into one message and one send operation per event type (ADR 0031).
 */
public final class AsyncApiDocument {
    static final String TEMPLATE_RESOURCE = "/dev/overseer/http/asyncapi-template.json";
    private static final String RUN_EVENT = "RunEvent";
    private static final String SCHEMAS = "#/components/schemas/";
    private static final String CHANNEL = "ws";
    /**
     * The keywords that mean the same in JSON Schema draft-07 (which the AsyncAPI Schema extends) and in 2020-12
     * (OpenAPI 3.1's): a schema that keeps to them validates the same JSON under both.
     */
    private static final Set<String> COMMON_KEYWORDS = Set.of("type", "enum", "const", "multipleOf", "maximum",
            "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "items", "maxItems",
            "minItems", "uniqueItems", "contains", "maxProperties", "minProperties", "required", "properties",
            "patternProperties", "additionalProperties", "propertyNames", "if", "then", "else", "allOf", "anyOf",
            "oneOf", "not", "format", "$ref", "discriminator");
    /** Keywords that describe and never constrain: the only ones draft-07 does not ignore beside a {@code $ref}. */
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "readOnly",
            "writeOnly");
    private static final Set<String> SUBSCHEMA = Set.of("items", "contains", "additionalProperties", "propertyNames",
            "if", "then", "else", "not");
    private static final Set<String> SUBSCHEMA_MAPS = Set.of("properties", "patternProperties");
    private static final Set<String> SUBSCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf");

    private AsyncApiDocument() {
    }

    /** The document as served, built from the two resources on the classpath. */
    public static String json() {
        try {
            return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(
                    assemble(Resources.text(TEMPLATE_RESOURCE), Resources.text(HttpTransport.OPENAPI_RESOURCE)));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The template with {@code RunEvent} and every schema it reaches copied from the OpenAPI document, a message
     * for each event type of {@code RunEvent}'s discriminator mapping, the channel's reference to it and a send
     * operation. Fails when a copied schema uses a keyword outside the common subset of the two dialects.
     */
    static ObjectNode assemble(String templateText, String openApiText) {
        ObjectNode document = (ObjectNode) read(templateText, "asyncapi-template.json");
        JsonNode openApiSchemas = read(openApiText, "openapi.json").path("components").path("schemas");
        ObjectNode schemas = (ObjectNode) document.path("components").path("schemas");
        for (String name : reachableFrom(openApiSchemas, RUN_EVENT)) {
            if (schemas.has(name)) {
                throw new IllegalStateException("asyncapi-template.json already defines schema " + name
                        + ", which openapi.json's " + RUN_EVENT + " needs");
            }
            schemas.set(name, toAsyncApiSchema(openApiSchemas.path(name).deepCopy()));
        }
        schemas.fields().forEachRemaining(schema -> checkCommonSubset(schema.getValue(), schema.getKey()));

        ObjectNode messages = (ObjectNode) document.path("components").path("messages");
        ObjectNode channelMessages = (ObjectNode) document.path("channels").path(CHANNEL).path("messages");
        ObjectNode operations = (ObjectNode) document.path("operations");
        JsonNode mapping = openApiSchemas.path(RUN_EVENT).path("discriminator").path("mapping");
        for (Iterator<Map.Entry<String, JsonNode>> types = mapping.fields(); types.hasNext(); ) {
            Map.Entry<String, JsonNode> type = types.next();
            String eventType = type.getKey();
            String schemaName = schemaName(type.getValue().asText());
            String summary = schemas.path(schemaName).path("description").asText("A run event.");
            ObjectNode message = messages.putObject(eventType)
                    .put("name", eventType)
                    .put("title", "Run event " + eventType)
                    .put("summary", summary);
            message.putObject("payload").put("$ref", SCHEMAS + schemaName);
            channelMessages.putObject(eventType).put("$ref", "#/components/messages/" + eventType);
            ObjectNode operation = operations.putObject("send" + camelCase(eventType))
                    .put("action", "send")
                    .put("summary", summary);
            operation.putObject("channel").put("$ref", "#/channels/" + CHANNEL);
            operation.putArray("messages").addObject().put("$ref", "#/channels/" + CHANNEL + "/messages/" + eventType);
        }
        return document;
    }

    /** The schema and every schema it refers to, directly or not, in the order they are first met. */
    private static Set<String> reachableFrom(JsonNode schemas, String root) {
        Set<String> reached = new LinkedHashSet<>();
        Deque<String> pending = new ArrayDeque<>();
        pending.add(root);
        while (!pending.isEmpty()) {
            String name = pending.removeFirst();
            if (!reached.add(name)) {
                continue;
            }
            JsonNode schema = schemas.path(name);
            if (!schema.isObject()) {
                throw new IllegalStateException("openapi.json has no schema " + name);
            }
            schema.findValues("$ref").forEach(ref -> pending.add(schemaName(ref.asText())));
        }
        return reached;
    }

    private static String schemaName(String ref) {
        if (!ref.startsWith(SCHEMAS)) {
            throw new IllegalStateException("openapi.json's event schemas refer to " + ref
                    + ", outside " + SCHEMAS);
        }
        return ref.substring(SCHEMAS.length());
    }

    /** OpenAPI's discriminator object becomes the AsyncAPI Schema's discriminator, the name of the property. */
    private static JsonNode toAsyncApiSchema(JsonNode schema) {
        if (schema.isObject()) {
            ObjectNode object = (ObjectNode) schema;
            JsonNode discriminator = object.get("discriminator");
            if (discriminator != null && discriminator.isObject()) {
                object.put("discriminator", discriminator.path("propertyName").asText());
            }
            object.fields().forEachRemaining(field -> {
                if (!field.getKey().equals("discriminator")) {
                    toAsyncApiSchema(field.getValue());
                }
            });
        } else if (schema.isArray()) {
            schema.forEach(AsyncApiDocument::toAsyncApiSchema);
        }
        return schema;
    }

    private static void checkCommonSubset(JsonNode schema, String where) {
        if (schema.isBoolean()) {
            return;
        }
        if (!schema.isObject()) {
            throw new IllegalStateException("schema " + where + " is neither an object nor a boolean");
        }
        boolean hasRef = schema.has("$ref");
        schema.fields().forEachRemaining(field -> {
            String keyword = field.getKey();
            JsonNode value = field.getValue();
            String at = where + "/" + keyword;
            if (ANNOTATIONS.contains(keyword) || keyword.startsWith("x-")) {
                return;
            }
            if (!COMMON_KEYWORDS.contains(keyword)) {
                throw new IllegalStateException("schema " + where + " uses '" + keyword + "', which JSON Schema "
                        + "draft-07 (the AsyncAPI Schema) and 2020-12 (OpenAPI 3.1) do not read alike (ADR 0031)");
            }
            if (hasRef && !keyword.equals("$ref")) {
                throw new IllegalStateException("schema " + where + " has '" + keyword
                        + "' beside $ref, which draft-07 ignores (ADR 0031)");
            }
            if (keyword.equals("items") && !value.isObject() && !value.isBoolean()) {
                throw new IllegalStateException("schema " + at + " is a list, a tuple in draft-07 only (ADR 0031)");
            }
            if (keyword.equals("discriminator") && !value.isTextual()) {
                throw new IllegalStateException("schema " + at + " must name a property");
            }
            if (SUBSCHEMA.contains(keyword)) {
                checkCommonSubset(value, at);
            } else if (SUBSCHEMA_MAPS.contains(keyword)) {
                value.fields().forEachRemaining(entry ->
                        checkCommonSubset(entry.getValue(), at + "/" + entry.getKey()));
            } else if (SUBSCHEMA_LISTS.contains(keyword)) {
                int index = 0;
                for (JsonNode entry : (ArrayNode) value) {
                    checkCommonSubset(entry, at + "/" + index++);
                }
            }
        });
    }

    private static String camelCase(String snake) {
        StringBuilder camel = new StringBuilder();
        for (String part : snake.split("_")) {
            camel.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return camel.toString();
    }

    private static JsonNode read(String text, String what) {
        try {
            JsonNode node = Json.mapper().readTree(text);
            if (node == null || !node.isObject()) {
                throw new IllegalStateException(what + " is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
