package dev.overseer.core.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.overseer.context.RunId;
import dev.overseer.core.json.Json;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Tool calls waiting for a person (SPEC §8, ADR 0024), in {@code run_approvals}. The run's node stores a request in
 * the event writer's transaction; any node answers it with one conditional update, so that exactly one answer wins
 * however many nodes and connections answer at once, and announces it ({@link NodeSignals#APPROVALS}) to the node
 * that runs the run.
 */
@Singleton
public final class ApprovalStore {
    /** The longest tool call id and reason an answer may carry (the columns' sizes). */
    public static final int MAX_TOOL_CALL_ID = 256;
    public static final int MAX_REASON = 4_000;
    private static final String PENDING = "pending";

    private final Jdbi jdbi;
    private final NodeSignals signals;

    @Inject
    public ApprovalStore(Jdbi jdbi, NodeSignals signals) {
        this.jdbi = jdbi;
        this.signals = signals;
    }

    /** Stores the requests, pending, and moves their runs to {@code requires_action}; on the writer's transaction. */
    static void insert(Handle handle, List<PendingApproval> requests) {
        if (requests.isEmpty()) {
            return;
        }
        try (JdbcBatch rows = JdbcBatch.prepare(handle, """
                INSERT INTO run_approvals (run_id, tool_call_id, tool, arguments, requested_at, expires_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
            for (PendingApproval request : requests) {
                rows.set(request.runId().value()).set(request.toolCallId()).set(request.tool())
                        .set(request.arguments().toString()).set(request.requestedAt().toEpochMilli())
                        .set(request.expiresAt().toEpochMilli()).set(PENDING).add();
            }
            rows.execute();
        }
        try (JdbcBatch runs = JdbcBatch.prepare(handle, "UPDATE runs SET status = ? WHERE id = ? AND status = ?")) {
            for (PendingApproval request : requests) {
                runs.set(RunStatus.REQUIRES_ACTION.wire()).set(request.runId().value()).set(RunStatus.RUNNING.wire())
                        .add();
            }
            runs.execute();
        }
    }

    /**
     * Answers a pending call of a run that waits for it: true when this answer won, false when the call is not
     * pending (answered already, timed out, never asked, or its run no longer waits). The run is {@code running}
     * again from the same commit on.
     */
    public boolean resolve(RunId run, String toolCallId, ApprovalDecision decision, Instant at) {
        return jdbi.inTransaction(handle -> {
            int won = handle.createUpdate("""
                    UPDATE run_approvals SET status = :status, reason = :reason, resolved_by = :by, resolved_at = :at
                    WHERE run_id = :run AND tool_call_id = :call AND status = :pending
                      AND EXISTS (SELECT 1 FROM runs WHERE runs.id = :run AND runs.status = :waiting)""")
                    .bind("status", decision.approved() ? "approved" : "rejected")
                    .bind("reason", decision.reason())
                    .bind("by", decision.by())
                    .bind("at", at.toEpochMilli())
                    .bind("run", run.value())
                    .bind("call", toolCallId)
                    .bind("pending", PENDING)
                    .bind("waiting", RunStatus.REQUIRES_ACTION.wire())
                    .execute();
            if (won == 0) {
                return false;
            }
            handle.createUpdate("UPDATE runs SET status = :running WHERE id = :run AND status = :waiting")
                    .bind("running", RunStatus.RUNNING.wire())
                    .bind("run", run.value())
                    .bind("waiting", RunStatus.REQUIRES_ACTION.wire())
                    .execute();
            signals.announce(handle, NodeSignals.APPROVALS, List.of(run.value()));
            return true;
        });
    }

    /** How the call was answered, once it has been. */
    public Optional<ApprovalDecision> decision(RunId run, String toolCallId) {
        return jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT status, reason, resolved_by FROM run_approvals
                        WHERE run_id = :run AND tool_call_id = :call AND status <> :pending""")
                .bind("run", run.value())
                .bind("call", toolCallId)
                .bind("pending", PENDING)
                .map((rows, context) -> new ApprovalDecision(rows.getString("status").equals("approved"),
                        rows.getString("reason"), rows.getString("resolved_by")))
                .findOne());
    }

    /** The call the run waits for, if it waits (its status is {@code requires_action}). */
    public Optional<PendingApproval> pending(RunId run) {
        return jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT a.* FROM run_approvals a JOIN runs r ON r.id = a.run_id
                        WHERE a.run_id = :run AND a.status = :pending AND r.status = :waiting""")
                .bind("run", run.value())
                .bind("pending", PENDING)
                .bind("waiting", RunStatus.REQUIRES_ACTION.wire())
                .map((rows, context) -> {
                    try {
                        return new PendingApproval(run, rows.getString("tool_call_id"), rows.getString("tool"),
                                Json.mapper().readTree(rows.getString("arguments")),
                                Instant.ofEpochMilli(rows.getLong("requested_at")),
                                Instant.ofEpochMilli(rows.getLong("expires_at")));
                    } catch (JsonProcessingException e) {
                        throw new IllegalStateException("stored arguments of run " + run + " are not JSON", e);
                    }
                })
                .findOne());
    }
}
