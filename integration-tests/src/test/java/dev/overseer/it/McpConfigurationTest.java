package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.app.ConfigException;
import dev.overseer.app.OverseerConfig;
import dev.overseer.core.mcp.McpServerDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code mcp_servers} of the agents file (SPEC §8): what is read, and what stops start-up in one line. */
class McpConfigurationTest {

    private static Path agentsFile(String json) throws IOException {
        Path file = Files.createTempFile("overseer-agents-", ".json");
        Files.writeString(file, json);
        return file;
    }

    @Test
    void servers_areRead_withVariablesReplacedFromTheEnvironment() throws IOException {
        Path agents = agentsFile("""
                {"mcp_servers": {
                   "everything": {"command": "npx", "args": ["@modelcontextprotocol/server-everything"],
                                  "env": {"GREETING": "hi ${WHO}!"}, "cwd": "/tmp"},
                   "crm": {"url": "https://crm.internal/mcp", "headers": {"Authorization": "Bearer ${CRM_TOKEN}"},
                           "timeout_seconds": 30, "forward_user": true}},
                 "agents": [{"name": "supervisor", "tools": ["calculator", "everything__*", "crm__lookup"]}]}""");

        List<McpServerDefinition> servers = OverseerConfig.fromEnvironment(Map.of(
                "OVERSEER_AGENTS_FILE", agents.toString(), "WHO", "alice", "CRM_TOKEN", "t0ken"), 0).agents().mcpServers();

        assertThat(servers).hasSize(2);
        McpServerDefinition everything = servers.get(0);
        assertThat(everything.stdio()).isTrue();
        assertThat(everything.args()).containsExactly("@modelcontextprotocol/server-everything");
        assertThat(everything.env()).containsExactly(Map.entry("GREETING", "hi alice!"));
        assertThat(everything.cwd()).isEqualTo("/tmp");
        assertThat(everything.timeout()).isEqualTo(Duration.ofSeconds(60));
        McpServerDefinition crm = servers.get(1);
        assertThat(crm.stdio()).isFalse();
        assertThat(crm.url().toString()).isEqualTo("https://crm.internal/mcp");
        assertThat(crm.headers()).containsExactly(Map.entry("Authorization", "Bearer t0ken"));
        assertThat(crm.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(crm.forwardUser()).isTrue();
    }

    @Test
    void aVariableThatIsNotSet_stopsStartUp_naming_it() throws IOException {
        Path agents = agentsFile("""
                {"mcp_servers": {"crm": {"url": "https://crm.internal/mcp",
                                          "headers": {"Authorization": "Bearer ${CRM_TOKEN}"}}},
                 "agents": []}""");

        assertThatThrownBy(() -> OverseerConfig.fromEnvironment(Map.of("OVERSEER_AGENTS_FILE", agents.toString()), 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mcp_servers.crm.headers.Authorization names ${CRM_TOKEN}, which is not set")
                .hasMessageNotContaining("\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"x\": {}}|must have either \"command\" or \"url\"",
            "{\"x\": {\"command\": \"a\", \"url\": \"http://h/mcp\"}}|must have either \"command\" or \"url\"",
            "{\"x\": {\"url\": \"ftp://h/mcp\"}}|must be an http:// or https:// URL",
            "{\"x\": {\"command\": \"a\", \"headers\": {}}}|\"headers\" are for a \"url\" server",
            "{\"x\": {\"command\": \"a\", \"timeout_seconds\": 0}}|timeout_seconds must be a whole number from 1 to 3600",
            "{\"x\": {\"command\": \"a\", \"colour\": \"red\"}}|has an unknown field 'colour'",
            "{\"Bad__Name\": {\"command\": \"a\"}}|a server name must be lower-case letters",
    })
    void anUnusableServer_stopsStartUp_sayingWhere(String servers, String message) throws IOException {
        Path agents = agentsFile("{\"mcp_servers\": " + servers + ", \"agents\": []}");

        assertThatThrownBy(() -> OverseerConfig.fromEnvironment(Map.of("OVERSEER_AGENTS_FILE", agents.toString()), 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mcp_servers.")
                .hasMessageContaining(message);
    }
}
