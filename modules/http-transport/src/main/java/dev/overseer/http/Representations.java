package dev.overseer.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.store.MessageRecord;
import dev.overseer.core.store.Page;
import dev.overseer.core.store.PendingApproval;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.ThreadRecord;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;

/** The JSON shapes of SPEC §6: thread, message, run, and list pages. */
public final class Representations {
    private Representations() {
    }

    public static ObjectNode thread(ThreadRecord thread) {
        ObjectNode node = Json.object()
                .put("id", thread.id().value())
                .put("title", thread.title());
        node.set("metadata", Json.readTrusted(thread.metadataJson()));
        return node.put("created_at", Json.timestamp(thread.createdAt()))
                .put("updated_at", Json.timestamp(thread.updatedAt()));
    }

    public static ObjectNode message(MessageRecord message) {
        return Json.object()
                .put("id", message.id().value())
                .put("thread_id", message.threadId().value())
                .put("run_id", message.runId() == null ? null : message.runId().value())
                .put("role", message.role().wire())
                .put("content", message.content())
                .put("created_at", Json.timestamp(message.createdAt()));
    }

    /** A run that waits for no approval (one that is not {@code requires_action}, or whose wait was not looked up). */
    public static ObjectNode run(RunRecord run) {
        return run(run, Optional.empty());
    }

    /** A run with the tool call it waits for, if any, as {@code pending_approval} (null when none). */
    public static ObjectNode run(RunRecord run, Optional<PendingApproval> pending) {
        ObjectNode node = Json.object()
                .put("id", run.id().value())
                .put("thread_id", run.threadId().value())
                .put("agent", run.agent())
                .put("status", run.status().wire())
                .put("origin", run.origin())
                .put("created_at", timestamp(run.createdAt()))
                .put("started_at", timestamp(run.startedAt()))
                .put("finished_at", timestamp(run.finishedAt()))
                .put("output", run.output());
        if (run.errorCode() == null) {
            node.putNull("error");
        } else {
            node.putObject("error").put("code", run.errorCode()).put("message", run.errorMessage());
        }
        if (run.usage() == null) {
            node.putNull("usage");
        } else {
            node.putObject("usage")
                    .put("prompt_tokens", run.usage().promptTokens())
                    .put("completion_tokens", run.usage().completionTokens());
        }
        if (pending.isEmpty()) {
            node.putNull("pending_approval");
        } else {
            node.putObject("pending_approval")
                    .put("tool_call_id", pending.get().toolCallId())
                    .put("tool", pending.get().tool())
                    .<ObjectNode>set("arguments", pending.get().arguments())
                    .put("requested_at", Json.timestamp(pending.get().requestedAt()))
                    .put("expires_at", Json.timestamp(pending.get().expiresAt()));
        }
        return node;
    }

    public static <T> ObjectNode page(Page<T> page, Function<T, ObjectNode> item) {
        ObjectNode node = Json.object();
        ArrayNode data = node.putArray("data");
        page.items().forEach(each -> data.add(item.apply(each)));
        return node.put("next_cursor", page.nextCursor());
    }

    private static String timestamp(Instant instant) {
        return instant == null ? null : Json.timestamp(instant);
    }
}
