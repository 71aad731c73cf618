package dev.overseer.core.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.overseer.core.json.Json;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the model and the events see of an MCP tool's result (SPEC §8): its structured content when present, else
 * its text; an image, audio or resource becomes a short description, never its bytes; anything over
 * {@link #MAX_RESULT_BYTES} is cut, and says so.
 */
final class McpResults {
    /** The most of a result a run keeps: a model's context is not the place for megabytes. */
    static final int MAX_RESULT_BYTES = 256 * 1024;

    private McpResults() {
    }

    /** The result of a call that did not fail. */
    static JsonNode result(McpSchema.CallToolResult result) {
        if (result.structuredContent() != null) {
            JsonNode structured = Json.mapper().valueToTree(result.structuredContent());
            String written = Json.write(structured);
            return written.getBytes(StandardCharsets.UTF_8).length <= MAX_RESULT_BYTES ? structured : cut(written);
        }
        String text = text(result);
        return text.getBytes(StandardCharsets.UTF_8).length <= MAX_RESULT_BYTES ? TextNode.valueOf(text) : cut(text);
    }

    /** The error of a call the server answered with {@code isError}: its text. */
    static String error(McpSchema.CallToolResult result) {
        String text = text(result);
        return text.isBlank() ? "the tool reported an error" : truncate(text, 4_096);
    }

    private static String text(McpSchema.CallToolResult result) {
        List<String> parts = new ArrayList<>();
        for (McpSchema.Content content : result.content() == null ? List.<McpSchema.Content>of() : result.content()) {
            parts.add(switch (content) {
                case McpSchema.TextContent text -> text.text();
                case McpSchema.ImageContent image -> "[image " + image.mimeType() + ", " + decodedBytes(image.data())
                        + " bytes, not shown]";
                case McpSchema.AudioContent audio -> "[audio " + audio.mimeType() + ", " + decodedBytes(audio.data())
                        + " bytes, not shown]";
                case McpSchema.EmbeddedResource resource -> "[resource " + resource.resource().uri() + "]";
                case McpSchema.ResourceLink link -> "[resource link " + link.uri() + "]";
                default -> "[" + content.type() + " content, not shown]";
            });
        }
        return String.join("\n", parts);
    }

    /** How many bytes a base64 string decodes to, without decoding it. */
    private static long decodedBytes(String base64) {
        if (base64 == null) {
            return 0;
        }
        int padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
        return base64.length() / 4L * 3 - padding;
    }

    private static JsonNode cut(String text) {
        return TextNode.valueOf(truncate(text, MAX_RESULT_BYTES - 200) + "\n[result cut: it had "
                + text.getBytes(StandardCharsets.UTF_8).length + " bytes, the limit is " + MAX_RESULT_BYTES + "]");
    }

    /** At most {@code maxBytes} of UTF-8, cut at a character boundary. */
    private static String truncate(String text, int maxBytes) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= maxBytes) {
            return text;
        }
        int end = maxBytes;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }
}
