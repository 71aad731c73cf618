package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.run.RunRejectedException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /asyncapi.json} is a valid AsyncAPI 3.0 document (the official parser finds no error in it) that
 * describes every frame the server accepts and sends. That every frame the integration tests receive validates
 * against it is checked by the test clients themselves ({@link AsyncApiFrames}).
 */
class AsyncApiTest {
    /** The validator script and the parser it needs, installed by {@code npm ci --prefix integration-tests/asyncapi}. */
    static final Path VALIDATOR = Path.of("asyncapi", "validate.mjs").toAbsolutePath();
    static final Path PARSER = Path.of("asyncapi", "node_modules", "@asyncapi", "parser", "package.json").toAbsolutePath();
    /** The server's own frames, beside the run events. */
    private static final Set<String> CONNECTION_FRAMES = Set.of("connection_established", "run_accepted", "pong", "error");

    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void asyncApiJson_isServedAsJsonWithoutAuth_andIsTheDocumentTheClientsValidateFramesAgainst() {
        Http.Response served = new Http(server, null).get("/asyncapi.json");
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.header("Content-Type")).startsWith("application/json");
        JsonNode document = served.json();
        assertThat(document).isEqualTo(AsyncApiFrames.document());
        assertThat(document.path("asyncapi").asText()).isEqualTo("3.0.0");
        // Host-agnostic: the server is wherever the document was fetched from.
        JsonNode overseer = document.path("servers").path("overseer");
        assertThat(overseer.path("host").asText()).isEqualTo("{host}");
        assertThat(overseer.path("protocol").asText()).isEqualTo("ws");
        JsonNode channel = document.path("channels").path("ws");
        assertThat(channel.path("address").asText()).isEqualTo("/ws");
        assertThat(channel.path("x-subprotocols").findValuesAsText("name")).containsExactly("overseer.v1", "bearer.<jwt>");
        assertThat(channel.path("bindings").path("ws").path("headers").path("properties").fieldNames())
                .toIterable().containsExactlyInAnyOrder("Authorization", "Sec-WebSocket-Protocol");
        // The close codes of SPEC §5 (and the ones docs/websocket-protocol.md §7 adds), each with its meaning.
        assertThat(AsyncApiFrames.closeCodes()).containsExactlyInAnyOrder(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011,
                1013);
        channel.path("x-close-codes").forEach(code -> assertThat(code.path("meaning").asText()).as("%s", code).isNotBlank());
        assertThat(new Http(server, null).post("/asyncapi.json", "{}").status()).isEqualTo(405);
    }

    @Test
    void asyncApiJson_hasNoErrorForTheOfficialAsyncApiParser() throws Exception {
        Optional<Path> node = executableOnPath("node");
        Assumptions.assumeTrue(node.isPresent(), "SKIPPED: validating /asyncapi.json needs node on the PATH");
        Assumptions.assumeTrue(Files.isRegularFile(PARSER), "SKIPPED: validating /asyncapi.json needs " + PARSER
                + "; run `npm ci --prefix integration-tests/asyncapi` (scripts/test does it where npm exists)");
        Http.Response served = new Http(server, null).get("/asyncapi.json");
        assertThat(served.status()).isEqualTo(200);
        Path document = Files.createTempFile("overseer-asyncapi-", ".json");
        try {
            Files.writeString(document, served.body());
            Process validator = new ProcessBuilder(node.get().toString(), VALIDATOR.toString(), document.toString())
                    .redirectErrorStream(true).start();
            String output = new String(validator.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(validator.waitFor(60, TimeUnit.SECONDS)).as("the validator ends").isTrue();
            assertThat(validator.exitValue()).as("@asyncapi/parser on /asyncapi.json:%n%s", output).isZero();
            assertThat(output).contains("parsed AsyncAPI 3.0.0", "0 error(s)");
        } finally {
            Files.deleteIfExists(document);
        }
    }

    @Test
    void everyClientFrameTypeTheServerDecodes_hasAReceiveMessage_andNoOther() throws Exception {
        Set<String> decoded = new TreeSet<>();
        for (Class<?> kind : Class.forName("dev.overseer.ws.ClientFrame").getPermittedSubclasses()) {
            decoded.add(snakeCase(kind.getSimpleName()));
        }
        assertThat(decoded).contains("start_agent", "approve_tool", "ping");
        assertThat(AsyncApiFrames.clientFrameTypes()).containsExactlyInAnyOrderElementsOf(decoded);
    }

    @Test
    void everyClientMessagesExample_validates_andTheServerAcceptsItsType() {
        JsonNode messages = AsyncApiFrames.document().path("components").path("messages");
        try (WsClient client = WsClient.established(server, "asyncapi-examples")) {
            for (String type : new TreeSet<>(AsyncApiFrames.clientFrameTypes())) {
                JsonNode examples = messages.path(type).path("examples");
                assertThat(examples.size()).as("examples of %s", type).isPositive();
                for (JsonNode example : examples) {
                    ObjectNode frame = example.path("payload").deepCopy();
                    assertThat(AsyncApiFrames.clientFrameViolation(frame)).as("example of %s", type).isNull();
                    frame.put("request_id", "example-" + type);
                    client.send(frame);
                    client.send(Frames.ping());
                    // Frames are answered in order: the pong of the ping sent after it comes after every answer to it.
                    int pongs = type.equals("ping") ? 2 : 1;
                    List<JsonNode> answers = new ArrayList<>();
                    while (answers.stream().filter(answer -> Frames.type(answer).equals("pong")).count() < pongs) {
                        answers.add(client.next());
                    }
                    assertThat(answers).as("answers to the example of %s", type)
                            .noneMatch(answer -> Frames.type(answer).equals("error")
                                    && Set.of("unknown_type", "invalid_message", "invalid_json", "internal")
                                            .contains(answer.path("code").asText()));
                }
            }
            // The control: a type the document does not describe is refused.
            client.send("{\"type\":\"dance\",\"request_id\":\"undescribed\"}");
            Frames.assertError(client.nextOfType("error"), "unknown_type", "undescribed");
            assertThat(AsyncApiFrames.clientFrameViolation(WsClient.JSON.createObjectNode().put("type", "dance")))
                    .contains("no client message of type dance");
        }
    }

    @Test
    void everyEventTypeOfEventPayload_hasASendMessage_besideTheConnectionsOwnFrames() {
        Set<String> expected = new HashSet<>(EventTypes.ofTheCode());
        expected.addAll(CONNECTION_FRAMES);
        assertThat(AsyncApiFrames.serverFrameTypes()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void everyRefusalOfTheCore_isAnErrorCodeOfTheDocument() {
        List<String> codes = new ArrayList<>();
        AsyncApiFrames.document().at("/components/schemas/ErrorFrame/properties/code/enum")
                .forEach(code -> codes.add(code.asText()));
        assertThat(codes).contains("invalid_json", "unknown_type", "internal");
        for (RunRejectedException.Reason reason : RunRejectedException.Reason.values()) {
            assertThat(codes).as("error codes of asyncapi.json").contains(reason.wire());
        }
    }

    @Test
    void frameValidation_rejectsServerFramesThatBreakTheDocument() throws IOException {
        String completed = "{\"type\":\"tool_completed\",\"run_id\":\"run_1\",\"thread_id\":\"thr_1\",\"seq\":4,"
                + "\"timestamp\":\"2026-11-28T10:00:00.123Z\",\"agent\":\"supervisor\",\"payload\":{\"tool_call_id\":"
                + "\"call_1\",\"tool\":\"calculator\",\"result\":42,\"duration_ms\":6,\"error\":null}}";
        assertThat(violation(completed)).isNull();
        assertThat(violation(completed.replace(",\"duration_ms\":6", ""))).as("no duration_ms").contains("duration_ms");
        assertThat(violation(completed.replace("\"seq\":4", "\"seq\":0"))).as("seq 0").isNotNull();
        assertThat(violation(completed.replace("2026-11-28T10:00:00.123Z", "yesterday"))).as("timestamp").isNotNull();
        assertThat(violation(completed.replace("\"agent\"", "\"extra\":1,\"agent\""))).as("extra field").isNotNull();
        assertThat(violation("{\"type\":\"run_paused\",\"run_id\":\"run_1\"}")).contains("no server message");
        assertThat(violation("{\"type\":\"pong\",\"server_time\":\"2026-11-28T10:00:00.123Z\"}")).isNull();
        assertThat(violation("{\"type\":\"pong\",\"server_time\":\"2026-11-28T10:00:00.123Z\",\"request_id\":\"p\"}"))
                .as("a pong does not echo request_id").isNotNull();
        assertThat(violation("{\"type\":\"error\",\"code\":\"oops\",\"message\":\"m\",\"request_id\":null}"))
                .as("an undocumented error code").isNotNull();
        assertThat(violation("{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"m\",\"request_id\":\"r\","
                + "\"retry_after_ms\":812}")).isNull();
        assertThat(AsyncApiFrames.closeCodeViolation(1013, "outbound queue overflow; reconnect and resume")).isNull();
        assertThat(AsyncApiFrames.closeCodeViolation(4000, "private")).contains("4000");
    }

    private static String violation(String frame) throws IOException {
        return AsyncApiFrames.serverFrameViolation(WsClient.JSON.readTree(frame));
    }

    /** {@code ApproveTool} → {@code approve_tool}: the frame type a {@code ClientFrame} record decodes. */
    private static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static Optional<Path> executableOnPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator)).map(dir -> Path.of(dir, name)).filter(Files::isExecutable)
                .findFirst();
    }
}
