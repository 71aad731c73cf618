package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees of the model endpoint: {@code /readyz} shows its state as a detail (the node stays ready:
 * runs on other agents, and the endpoint's own errors, are reported where they happen), and each failed model call is
 * logged once, with the provider's status and message and never the API key.
 */
class LlmHealthTest {
    private static final String API_KEY = "sk-live-key-that-must-never-be-logged-0123";

    @Test
    void readyz_showsAnUnreachableEndpoint_asADetail_andStaysReady() throws Exception {
        try (TestServer server = TestServer.start(Map.of(
                "OVERSEER_LLM_BASE_URL", "http://127.0.0.1:1/v1", "OVERSEER_LLM_MODEL", "m"))) {
            Http.Response ready = new Http(server, null).get("/readyz");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.json().path("status").asText()).isEqualTo("ok");
            JsonNode llm = ready.json().path("llm");
            assertThat(llm.path("state").asText()).isEqualTo("unreachable");
            assertThat(llm.path("detail").asText()).contains("127.0.0.1");
            assertThat(llm.path("checked_at").asText()).isNotBlank();
        }
    }

    @Test
    void readyz_showsAReachableEndpoint_andNothingForTheOfflineModel() {
        try (ScriptedLlmServer llm = ScriptedLlmServer.start();
                TestServer server = TestServer.start(Map.of("OVERSEER_LLM_BASE_URL", llm.baseUrl(),
                        "OVERSEER_LLM_MODEL", "m"))) {
            JsonNode ready = new Http(server, null).get("/readyz").json();
            assertThat(ready.path("llm").path("state").asText()).isEqualTo("ok");
        }
        try (TestServer offline = TestServer.start()) {
            assertThat(new Http(offline, null).get("/readyz").json().has("llm")).isFalse();
        }
    }

    @Test
    void aFailedModelCall_isLoggedOnce_withTheProvidersStatusAndMessage_neverTheKey() throws Exception {
        try (ScriptedLlmServer llm = ScriptedLlmServer.start()) {
            // Providers quote the key they were sent (OpenAI does, in part): the log and the run's error must not.
            llm.script(ScriptedLlmServer.error(401, "Incorrect API key provided: " + API_KEY + "."));
            Path dataDir = Files.createTempDirectory("overseer-it-llm-health-");
            NodeProcess node = NodeProcess.start("llm-health", dataDir, TestDatabase.newDatabaseUrl(dataDir), Map.of(
                    "OVERSEER_LLM_BASE_URL", llm.baseUrl(), "OVERSEER_LLM_MODEL", "m", "OVERSEER_LLM_API_KEY", API_KEY));
            String token = Jwts.signed(TestServer.SECRET, "alice");
            try {
                node.awaitHealthy();
                String thread = node.json(token, "POST", "/api/threads", "{}").path("id").asText();
                HttpResponse<String> run = node.send(token, "POST", "/api/threads/" + thread + "/runs?wait=true",
                        "{\"content\":\"Hello\"}");
                JsonNode failed = WsClient.JSON.readTree(run.body());
                assertThat(failed.path("status").asText()).isEqualTo("failed");
                assertThat(failed.path("error").toString()).contains("401").doesNotContain(API_KEY);
            } finally {
                node.close();
            }
            List<String> failures = node.output().lines().filter(line -> line.contains("model call to")).toList();
            assertThat(failures).singleElement().satisfies(line -> assertThat(line)
                    .contains("WARN")
                    .contains("failed (llm_error)")
                    .contains("answered 401")
                    .contains("Incorrect API key provided: ***"));
            assertThat(node.output()).doesNotContain(API_KEY);
        }
    }
}
