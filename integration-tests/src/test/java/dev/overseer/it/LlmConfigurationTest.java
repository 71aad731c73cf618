package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.app.ConfigException;
import dev.overseer.app.OverseerConfig;
import dev.overseer.core.llm.LlmSettings;
import dev.overseer.core.supervisor.AgentDefinitions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The LLM and agents configuration: what the defaults are, and that an unusable agents file or LLM setting
 * stops start-up with one line naming the variable and exit code 2 (the real {@code Main} in a child JVM).
 */
class LlmConfigurationTest {
    private static final Duration CHILD_LIMIT = Duration.ofSeconds(60);

    /** What a child {@code overseer serve} printed and how it ended. */
    private record Exit(int code, String stdout, String stderr) {
        /** Standard error without the JVM's own warnings (e.g. about sun.misc.Unsafe in a dependency). */
        List<String> errorLines() {
            return stderr.lines().filter(line -> !line.isBlank() && !line.startsWith("WARNING:")).toList();
        }
    }

    @Test
    void agentsFileNamingAnUnknownTool_stopsStartUp_withOneLineNamingTheAgentsFile_exitCode2() throws IOException {
        Path agents = agentsFile("""
                {"agents":[{"name":"researcher","description":"d","system_prompt":"p","tools":["clock","teleport"]}]}""");

        Exit exit = serve(Map.of("OVERSEER_AGENTS_FILE", agents.toString()));

        assertThat(exit.code()).isEqualTo(2);
        assertThat(exit.errorLines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("error: OVERSEER_AGENTS_FILE")
                .contains("researcher")
                .contains("unknown tool 'teleport'"));
        assertThat(exit.stdout()).doesNotContain("listening on");
    }

    @Test
    void malformedAgentsFile_stopsStartUp_withOneLineNamingTheAgentsFile_exitCode2() throws IOException {
        Path agents = agentsFile("{\"agents\":[{\"name\":\"researcher\",");

        Exit exit = serve(Map.of("OVERSEER_AGENTS_FILE", agents.toString()));

        assertThat(exit.code()).isEqualTo(2);
        assertThat(exit.errorLines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("error: OVERSEER_AGENTS_FILE")
                .contains(agents.toString())
                .contains("not valid JSON"));
        assertThat(exit.stdout()).doesNotContain("listening on");
    }

    @Test
    void llmBaseUrlWithoutModel_stopsStartUp_withOneLineNamingTheModelVariable_exitCode2() {
        Exit exit = serve(Map.of("OVERSEER_LLM_BASE_URL", "http://127.0.0.1:9/v1"));

        assertThat(exit.code()).isEqualTo(2);
        assertThat(exit.errorLines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("error: ")
                .contains("OVERSEER_LLM_MODEL"));
        assertThat(exit.stdout()).doesNotContain("listening on");
    }

    @Test
    void agentNamedLikeATool_stopsStartUp_withOneLineNamingTheAgentsFile_exitCode2() throws IOException {
        Path agents = agentsFile("""
                {"agents":[{"name":"calculator","description":"d","system_prompt":"p"}]}""");

        Exit exit = serve(Map.of("OVERSEER_AGENTS_FILE", agents.toString()));

        assertThat(exit.code()).isEqualTo(2);
        assertThat(exit.errorLines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("error: OVERSEER_AGENTS_FILE")
                .contains("'calculator'"));
    }

    @Test
    void llmDefaults_matchTheDocumentation() {
        OverseerConfig config = OverseerConfig.fromEnvironment(Map.of(
                "OVERSEER_LLM_BASE_URL", "https://llm.example.com/v1",
                "OVERSEER_LLM_MODEL", "some-model"), 0);

        LlmSettings llm = config.llm().orElseThrow();
        assertThat(llm.baseUrl()).isEqualTo(URI.create("https://llm.example.com/v1"));
        assertThat(llm.completionsUrl()).isEqualTo(URI.create("https://llm.example.com/v1/chat/completions"));
        assertThat(llm.model()).isEqualTo("some-model");
        assertThat(llm.apiKey()).isNull();
        assertThat(llm.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(llm.streamTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(llm.maxAttempts()).isEqualTo(4);
        assertThat(llm.maxBackoff()).isEqualTo(Duration.ofSeconds(8));
        assertThat(config.agents()).isEqualTo(AgentDefinitions.NONE);
        assertThat(config.agentSettings().maxSteps()).isEqualTo(8);
        assertThat(config.agentSettings().historyChars()).isEqualTo(24_000);
        assertThat(config.agentSettings().runTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(llm.toString()).doesNotContain("sk-");
    }

    @Test
    void noLlmBaseUrl_meansTheOfflineModel_evenWithAModelSet() {
        OverseerConfig config = OverseerConfig.fromEnvironment(Map.of("OVERSEER_LLM_MODEL", "some-model"), 0);

        assertThat(config.llm()).isEmpty();
    }

    @Test
    void apiKey_isKeptButNeverPrinted() {
        OverseerConfig config = OverseerConfig.fromEnvironment(Map.of(
                "OVERSEER_LLM_BASE_URL", "http://127.0.0.1:8000/v1/",
                "OVERSEER_LLM_MODEL", "m",
                "OVERSEER_LLM_API_KEY", "sk-secret-value"), 0);

        assertThat(config.llm().orElseThrow().apiKey()).isEqualTo("sk-secret-value");
        assertThat(config.llm().orElseThrow().toString()).doesNotContain("sk-secret-value");
        assertThat(config.toString()).doesNotContain("sk-secret-value");
        assertThat(config.llm().orElseThrow().completionsUrl())
                .isEqualTo(URI.create("http://127.0.0.1:8000/v1/chat/completions"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "OVERSEER_LLM_BASE_URL|ftp://llm.example.com/v1",
            "OVERSEER_LLM_BASE_URL|not a url",
            "OVERSEER_LLM_MAX_ATTEMPTS|0",
            "OVERSEER_LLM_MAX_ATTEMPTS|many",
            "OVERSEER_LLM_STREAM_TIMEOUT_SECONDS|0",
            "OVERSEER_LLM_CONNECT_TIMEOUT_SECONDS|-1",
            "OVERSEER_LLM_MAX_BACKOFF_SECONDS|0",
            "OVERSEER_AGENT_MAX_STEPS|0",
            "OVERSEER_HISTORY_CHARS|-1",
            "OVERSEER_RUN_TIMEOUT_SECONDS|0"})
    void badLlmOrAgentValue_isRejectedNamingTheVariable(String variable, String value) {
        Map<String, String> env = new HashMap<>(Map.of(
                "OVERSEER_LLM_BASE_URL", "http://127.0.0.1:8000/v1",
                "OVERSEER_LLM_MODEL", "m"));
        env.put(variable, value);

        assertThatThrownBy(() -> OverseerConfig.fromEnvironment(env, 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(variable);
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "{\"agents\":{}}|an \"agents\" array",
            "[]|an \"agents\" array",
            "{\"agents\":[{\"name\":\"r\",\"description\":\"d\",\"system_prompt\":\"p\",\"temperature\":1}]}|unknown field 'temperature'",
            "{\"agents\":[{\"name\":\"Researcher\",\"description\":\"d\",\"system_prompt\":\"p\"}]}|agents[0].name",
            "{\"agents\":[{\"description\":\"d\",\"system_prompt\":\"p\"}]}|agents[0].name is required",
            "{\"agents\":[{\"name\":\"r\",\"system_prompt\":\"p\"}]}|agents[0].description is required",
            "{\"agents\":[{\"name\":\"r\",\"description\":\"d\"}]}|agents[0].system_prompt is required",
            "{\"agents\":[{\"name\":\"r\",\"description\":\"d\",\"system_prompt\":\"p\",\"tools\":\"clock\"}]}|agents[0].tools",
            "{\"agents\":[{\"name\":\"r\",\"description\":\"d\",\"system_prompt\":\"p\"},{\"name\":\"r\",\"description\":\"d\",\"system_prompt\":\"p\"}]}|defined twice"})
    void badAgentsFile_isRejectedNamingTheVariableAndTheEntry(String json, String expected) throws IOException {
        Path agents = agentsFile(json);

        assertThatThrownBy(() -> OverseerConfig.fromEnvironment(Map.of("OVERSEER_AGENTS_FILE", agents.toString()), 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("OVERSEER_AGENTS_FILE")
                .hasMessageContaining(expected);
    }

    @Test
    void missingAgentsFile_isRejectedNamingTheVariable() {
        assertThatThrownBy(() -> OverseerConfig.fromEnvironment(
                Map.of("OVERSEER_AGENTS_FILE", "/nonexistent/overseer/agents.json"), 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("OVERSEER_AGENTS_FILE")
                .hasMessageContaining("/nonexistent/overseer/agents.json");
    }

    @Test
    void supervisorEntry_mayOmitDescriptionAndPrompt_andOverridesOnlyWhatItNames() throws IOException {
        Path agents = agentsFile("{\"agents\":[{\"name\":\"supervisor\",\"tools\":[\"calculator\"]}]}");

        AgentDefinitions definitions = OverseerConfig.fromEnvironment(
                Map.of("OVERSEER_AGENTS_FILE", agents.toString()), 0).agents();

        assertThat(definitions.agents()).containsExactly(
                new AgentDefinitions.Definition("supervisor", null, null, null, List.of("calculator"), List.of()));
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private static Path agentsFile(String json) throws IOException {
        Path file = Files.createTempDirectory("overseer-agents-").resolve("agents.json");
        Files.writeString(file, json);
        return file;
    }

    /** Runs {@code overseer serve --port 0} in a child JVM on this test's classpath, with a clean environment. */
    private static Exit serve(Map<String, String> variables) {
        try {
            Path dataDir = Files.createTempDirectory("overseer-config-");
            String java = ProcessHandle.current().info().command().orElse(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString());
            ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "dev.overseer.app.Main", "serve", "--port", "0");
            builder.environment().keySet().removeIf(name -> name.startsWith("OVERSEER_"));
            builder.environment().put("OVERSEER_HOST", "127.0.0.1");
            builder.environment().put("OVERSEER_DATA_DIR", dataDir.toString());
            builder.environment().put("OVERSEER_DB_URL", "jdbc:h2:file:" + dataDir.resolve("overseer"));
            builder.environment().put("OVERSEER_JWT_SECRET", TestServer.SECRET);
            builder.environment().putAll(variables);
            builder.redirectOutput(dataDir.resolve("stdout.txt").toFile());
            builder.redirectError(dataDir.resolve("stderr.txt").toFile());
            Process process = builder.start();
            if (!process.waitFor(CHILD_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("the server started (or hung) instead of refusing the configuration: "
                        + Files.readString(dataDir.resolve("stdout.txt")));
            }
            return new Exit(process.exitValue(),
                    Files.readString(dataDir.resolve("stdout.txt"), StandardCharsets.UTF_8),
                    Files.readString(dataDir.resolve("stderr.txt"), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
