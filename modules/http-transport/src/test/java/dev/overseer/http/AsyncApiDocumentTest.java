package dev.overseer.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AsyncApiDocumentTest {
    private static final String TEMPLATE = resource(AsyncApiDocument.TEMPLATE_RESOURCE);
    private static final String OPENAPI = resource(HttpTransport.OPENAPI_RESOURCE);
    private static final JsonNode OPENAPI_SCHEMAS = Json.readTrusted(OPENAPI).path("components").path("schemas");

    @Test
    void assembled_copiesOpenApisEventSchemasUnchanged_butTheDiscriminator() {
        JsonNode schemas = AsyncApiDocument.assemble(TEMPLATE, OPENAPI).path("components").path("schemas");
        JsonNode mapping = OPENAPI_SCHEMAS.path("RunEvent").path("discriminator").path("mapping");
        assertThat(mapping.size()).isGreaterThanOrEqualTo(13);
        mapping.fields().forEachRemaining(type -> {
            String event = type.getValue().asText().substring("#/components/schemas/".length());
            String payload = OPENAPI_SCHEMAS.path(event).path("properties").path("payload").path("$ref").asText()
                    .substring("#/components/schemas/".length());
            assertThat(schemas.path(event)).as(event).isEqualTo(OPENAPI_SCHEMAS.path(event));
            assertThat(schemas.path(payload)).as(payload).isEqualTo(OPENAPI_SCHEMAS.path(payload));
        });
        ObjectNode runEvent = OPENAPI_SCHEMAS.path("RunEvent").deepCopy();
        runEvent.put("discriminator", "type");
        assertThat(schemas.path("RunEvent")).isEqualTo(runEvent);
    }

    @Test
    void assembled_hasAMessageAChannelEntryAndASendOperation_forEveryEventType() {
        JsonNode document = AsyncApiDocument.assemble(TEMPLATE, OPENAPI);
        OPENAPI_SCHEMAS.path("RunEvent").path("discriminator").path("mapping").fields().forEachRemaining(type -> {
            String event = type.getKey();
            assertThat(document.path("components").path("messages").path(event).path("payload").path("$ref").asText())
                    .as("payload of message %s", event).isEqualTo(type.getValue().asText());
            assertThat(document.path("channels").path("ws").path("messages").path(event).path("$ref").asText())
                    .isEqualTo("#/components/messages/" + event);
            List<String> sent = new ArrayList<>();
            document.path("operations").forEach(operation -> {
                if (operation.path("action").asText().equals("send")) {
                    operation.path("messages").forEach(message -> sent.add(message.path("$ref").asText()));
                }
            });
            assertThat(sent).as("messages of send operations").contains("#/channels/ws/messages/" + event);
        });
    }

    @Test
    void assembled_everyReferenceResolves() {
        JsonNode document = AsyncApiDocument.assemble(TEMPLATE, OPENAPI);
        List<JsonNode> refs = document.findValues("$ref");
        assertThat(refs).hasSizeGreaterThan(50);
        for (JsonNode ref : refs) {
            assertThat(ref.asText()).startsWith("#/");
            assertThat(document.at(ref.asText().substring(1)).isMissingNode()).as("target of %s", ref).isFalse();
        }
    }

    @Test
    void json_isTheAssembledDocument() {
        assertThat(Json.readTrusted(AsyncApiDocument.json())).isEqualTo(AsyncApiDocument.assemble(TEMPLATE, OPENAPI));
    }

    @Test
    void anEventSchemaWithAKeywordDraft07ReadsOtherwise_stopsTheAssembly() {
        String tuple = OPENAPI.replace("\"required\": [\n          \"text\"\n        ]",
                "\"required\": [\n          \"text\"\n        ], \"prefixItems\": [true]");
        assertThat(tuple).isNotEqualTo(OPENAPI);
        assertThatThrownBy(() -> AsyncApiDocument.assemble(TEMPLATE, tuple))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'prefixItems'").hasMessageContaining("draft-07");
    }

    @Test
    void anEventSchemaWithAConstraintBesideRef_stopsTheAssembly() {
        String sibling = OPENAPI.replace("\"$ref\": \"#/components/schemas/AgentThinkingPayload\"",
                "\"$ref\": \"#/components/schemas/AgentThinkingPayload\", \"minProperties\": 1");
        assertThat(sibling).isNotEqualTo(OPENAPI);
        assertThatThrownBy(() -> AsyncApiDocument.assemble(TEMPLATE, sibling))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("AgentThinkingEvent/properties/payload").hasMessageContaining("beside $ref");
    }

    @Test
    void anEventSchemaNamedLikeOneOfTheTemplates_stopsTheAssembly() {
        String clash = OPENAPI
                .replace("\"#/components/schemas/AgentThinkingPayload\"", "\"#/components/schemas/PongFrame\"")
                .replace("\"AgentThinkingPayload\": {", "\"PongFrame\": {");
        assertThatThrownBy(() -> AsyncApiDocument.assemble(TEMPLATE, clash))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("PongFrame");
    }

    private static String resource(String name) {
        try (InputStream in = AsyncApiDocumentTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
