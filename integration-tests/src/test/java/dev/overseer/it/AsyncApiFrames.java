package dev.overseer.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.AnnotationKeyword;
import dev.overseer.http.AsyncApiDocument;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The WebSocket frames of {@code /asyncapi.json} (built from the classpath, as the server builds the document it
 * serves): every text frame the server sends must validate against the payload of the message its {@code type}
 * names among the document's send operations, and every close code must be one of its {@code x-close-codes}. The
 * test clients ({@link WsClient}, {@link RawWebSocket}) check every frame they receive here.
 */
public final class AsyncApiFrames {
    private static final String DOCUMENT_IRI = "https://overseer.invalid/asyncapi.json";
    /** What a client reports when a close frame carries no status code (RFC 6455 §7.1.5); the document's "or none". */
    private static final int NO_STATUS_CODE = 1005;

    private AsyncApiFrames() {
    }

    /** Loaded once per JVM, on first use. */
    private static final class Loaded {
        static final JsonNode DOCUMENT;
        static final Map<String, Schema> SERVER_FRAMES = new LinkedHashMap<>();
        static final Map<String, Schema> CLIENT_FRAMES = new LinkedHashMap<>();
        static final Set<Integer> CLOSE_CODES = new TreeSet<>();

        static {
            String text = AsyncApiDocument.json();
            try {
                DOCUMENT = WsClient.JSON.readTree(text);
            } catch (IOException e) {
                throw new AssertionError("asyncapi.json is not JSON", e);
            }
            // The AsyncAPI Schema is a superset of draft-07: its own keywords (discriminator) only annotate.
            Dialect asyncApiSchema = Dialect.builder(Dialects.getDraft7())
                    .unknownKeywordFactory((keyword, context) -> new AnnotationKeyword(keyword))
                    .build();
            SchemaRegistry registry = SchemaRegistry.withDefaultDialect(asyncApiSchema, builder -> builder
                    .schemas(Map.of(DOCUMENT_IRI, text))
                    .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
            for (JsonNode operation : DOCUMENT.path("operations")) {
                Map<String, Schema> frames = switch (operation.path("action").asText()) {
                    case "send" -> SERVER_FRAMES;
                    case "receive" -> CLIENT_FRAMES;
                    default -> throw new AssertionError("asyncapi.json: an operation's action is send or receive: "
                            + operation);
                };
                for (JsonNode reference : operation.path("messages")) {
                    JsonNode message = resolve(resolve(reference));
                    String type = message.path("name").asText();
                    String payload = message.path("payload").path("$ref").asText();
                    if (type.isEmpty() || !payload.startsWith("#/")) {
                        throw new AssertionError("asyncapi.json: message " + message + " needs a name and a payload $ref");
                    }
                    frames.put(type, registry.getSchema(SchemaLocation.of(DOCUMENT_IRI + payload)));
                }
            }
            DOCUMENT.path("channels").path("ws").path("x-close-codes")
                    .forEach(entry -> CLOSE_CODES.add(entry.path("code").asInt()));
        }

        /** A {@code $ref} node's target, or the node itself when it is no reference. */
        private static JsonNode resolve(JsonNode node) {
            if (!node.has("$ref")) {
                return node;
            }
            JsonNode target = DOCUMENT.at(node.path("$ref").asText().substring(1));
            if (target.isMissingNode()) {
                throw new AssertionError("asyncapi.json: " + node.path("$ref").asText() + " points at nothing");
            }
            return target;
        }
    }

    /** The document, as {@code GET /asyncapi.json} serves it. */
    public static JsonNode document() {
        return Loaded.DOCUMENT;
    }

    /** The types of the messages the server sends (its send operations). */
    public static Set<String> serverFrameTypes() {
        return Set.copyOf(Loaded.SERVER_FRAMES.keySet());
    }

    /** The types of the messages the server receives (its receive operations). */
    public static Set<String> clientFrameTypes() {
        return Set.copyOf(Loaded.CLIENT_FRAMES.keySet());
    }

    /** The close codes the document lists. */
    public static Set<Integer> closeCodes() {
        return Set.copyOf(Loaded.CLOSE_CODES);
    }

    /** Why this frame from the server breaks the document, or null when it validates. */
    public static String serverFrameViolation(JsonNode frame) {
        return violation(Loaded.SERVER_FRAMES, frame, "server");
    }

    /** Why this client frame breaks the document, or null when it validates. */
    public static String clientFrameViolation(JsonNode frame) {
        return violation(Loaded.CLIENT_FRAMES, frame, "client");
    }

    /** Fails, naming the frame, when a text frame the server sent does not validate. */
    public static void assertValidServerFrame(String text) {
        JsonNode frame;
        try {
            frame = WsClient.JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("the server sent a frame that is not JSON: " + text, e);
        }
        String violation = serverFrameViolation(frame);
        if (violation != null) {
            throw new AssertionError(violation);
        }
    }

    /** Why a close code the server sent is not among the document's, or null when it is. */
    public static String closeCodeViolation(int code, String reason) {
        if (code == NO_STATUS_CODE || Loaded.CLOSE_CODES.contains(code)) {
            return null;
        }
        return "the server closed the WebSocket with " + code + " (" + reason + "), which asyncapi.json's x-close-codes "
                + Loaded.CLOSE_CODES + " do not list";
    }

    private static String violation(Map<String, Schema> frames, JsonNode frame, String side) {
        String type = frame.path("type").asText(null);
        Schema schema = type == null ? null : frames.get(type);
        if (schema == null) {
            return "asyncapi.json has no " + side + " message of type " + type + " for the frame " + frame
                    + " (it describes " + frames.keySet() + ")";
        }
        List<Error> errors = schema.validate(frame);
        if (errors.isEmpty()) {
            return null;
        }
        Set<String> reasons = errors.stream().map(error -> error.getInstanceLocation() + ": " + error.getMessage())
                .collect(Collectors.toCollection(LinkedHashSet::new));
        return "the " + side + " frame " + frame + " does not validate against asyncapi.json's message " + type + ": "
                + String.join("; ", reasons);
    }
}
