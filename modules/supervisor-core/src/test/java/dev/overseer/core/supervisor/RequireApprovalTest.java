package dev.overseer.core.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.core.mcp.McpSettings;
import dev.overseer.core.tool.CalculatorTool;
import dev.overseer.core.tool.Tool;
import dev.overseer.core.tool.WaitTool;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code require_approval} in the agents file (SPEC §8): read, checked against the known tools, matched by pattern. */
class RequireApprovalTest {
    private static final Map<String, Tool> TOOLS = Map.of(CalculatorTool.NAME, new CalculatorTool(),
            WaitTool.NAME, new WaitTool());

    private static AgentCatalog catalog(String json) {
        return new AgentCatalog(AgentDefinitions.parse(json, Map.of()), TOOLS, new McpSettings(List.of()));
    }

    @Test
    void namesAndPatterns_matchTheToolsTheyName_andNothingElse() {
        AgentCatalog agents = catalog("""
                {"agents": [{"name": "supervisor", "require_approval": ["wait", "calc*"]},
                            {"name": "helper", "description": "d", "system_prompt": "p", "tools": ["calculator"]}]}""");

        Agent supervisor = agents.find("supervisor").orElseThrow();
        assertThat(supervisor.requiresApproval("wait")).isTrue();
        assertThat(supervisor.requiresApproval("calculator")).isTrue();
        assertThat(supervisor.requiresApproval("clock")).isFalse();
        assertThat(agents.find("helper").orElseThrow().requiresApproval("calculator")).isFalse();
    }

    @Test
    void anEntryThatNamesNoKnownTool_stopsStartUp() {
        assertThatThrownBy(() -> catalog("{\"agents\": [{\"name\": \"supervisor\", \"require_approval\": [\"rm_rf\"]}]}"))
                .isInstanceOf(AgentConfigurationException.class)
                .hasMessageContaining("agent 'supervisor' names unknown tool 'rm_rf'");
    }

    @Test
    void anythingButAnArrayOfNames_isRefusedSayingWhere() {
        for (String value : new String[] {"\"wait\"", "[1]", "[\"wait\", null]", "{}"}) {
            assertThatThrownBy(() -> AgentDefinitions.parse(
                    "{\"agents\": [{\"name\": \"supervisor\", \"require_approval\": " + value + "}]}", Map.of()))
                    .as(value)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("agents[0].require_approval must be an array of tool names");
        }
    }
}
