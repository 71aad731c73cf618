package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** Runs: their admission onto a thread, their status, and recovery of runs a dead process left behind. */
@Singleton
public final class RunStore {
    private static final RunMapper MAPPER = new RunMapper();

    /** What came of asking to start a run on a thread. */
    public enum Admission {
        ADMITTED,
        THREAD_NOT_FOUND,
        THREAD_BUSY,
        /** Another run already holds the idempotency key. */
        DUPLICATE_KEY
    }

    private static final String UNIQUE_VIOLATION = "23505";

    private final Jdbi jdbi;
    private final ThreadStore threads;
    private final Clock clock;

    @Inject
    public RunStore(Jdbi jdbi, ThreadStore threads, Clock clock) {
        this.jdbi = jdbi;
        this.threads = threads;
        this.clock = clock;
    }

    /**
     * In one transaction of its own: makes the run the thread's active run (creating the thread if the
     * admission brings one), stores the run as queued with the user's message and its idempotency key, if
     * any. Nothing is stored unless admitted. Every start is admitted this way, before its run executes
     * (ADR 0019).
     */
    public Admission admit(RunAdmission admission) {
        try {
            return jdbi.inTransaction(handle -> {
                RunRecord run = admission.run();
                ThreadRecord thread = admission.newThread();
                if (thread != null) {
                    threads.insert(handle, List.of(new ThreadRecord(thread.id(), thread.userId(), thread.title(),
                            thread.metadataJson(), run.id(), thread.createdAt(), run.createdAt())));
                } else if (!threads.claim(handle, List.of(claimOf(run, run.id(), run.createdAt())))[0]) {
                    boolean exists = threads.find(handle, run.userId(), run.threadId()).isPresent();
                    handle.rollback();
                    return exists ? Admission.THREAD_BUSY : Admission.THREAD_NOT_FOUND;
                }
                insertRun(handle, admission);
                if (admission.idempotencyKey() != null) {
                    handle.createUpdate("""
                            INSERT INTO run_idempotency_keys (user_id, idempotency_key, run_id, fingerprint)
                            VALUES (:user, :key, :run, :fingerprint)""")
                            .bind("user", run.userId().value())
                            .bind("key", admission.idempotencyKey())
                            .bind("run", run.id().value())
                            .bind("fingerprint", admission.fingerprint())
                            .execute();
                }
                return Admission.ADMITTED;
            });
        } catch (UnableToExecuteStatementException e) {
            if (admission.idempotencyKey() != null && e.getCause() instanceof SQLException sql
                    && UNIQUE_VIOLATION.equals(sql.getSQLState())) {
                return Admission.DUPLICATE_KEY;
            }
            throw e;
        }
    }

    /** The claim of an existing thread by {@code run}: held by {@code holder} (null: free again), touched at. */
    private static ThreadRecord claimOf(RunRecord run, RunId holder, Instant touched) {
        return new ThreadRecord(run.threadId(), run.userId(), null, null, holder, null, touched);
    }

    /** Inserts the admitted run as queued, and marks it active ({@code active_runs}). */
    private static void insertRun(Handle handle, RunAdmission admission) {
        RunRecord run = admission.run();
        handle.createUpdate("""
                INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, position,
                                  user_message_id, user_message)
                VALUES (:id, :thread, :user, :agent, :status, :origin, :created, :position, :message, :content)""")
                .bind("id", run.id().value())
                .bind("thread", run.threadId().value())
                .bind("user", run.userId().value())
                .bind("agent", run.agent())
                .bind("status", run.status().wire())
                .bind("origin", run.origin())
                .bind("created", run.createdAt().toEpochMilli())
                .bind("position", admission.position())
                .bind("message", admission.userMessage().id().value())
                .bind("content", admission.userMessage().content())
                .execute();
        handle.createUpdate("INSERT INTO active_runs (run_id) VALUES (:run)").bind("run", run.id().value()).execute();
    }

    /** The run if it exists and belongs to this user. */
    public Optional<RunRecord> find(UserId user, RunId id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT * FROM runs WHERE id = :id AND user_id = :user")
                .bind("id", id.value())
                .bind("user", user.value())
                .map(MAPPER)
                .findOne());
    }

    /** The user's run that holds this idempotency key, with the fingerprint of the request that started it. */
    public Optional<KeyedRun> findByIdempotencyKey(UserId user, String idempotencyKey) {
        return jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT runs.*, k.fingerprint FROM run_idempotency_keys k JOIN runs ON runs.id = k.run_id
                        WHERE k.user_id = :user AND k.idempotency_key = :key""")
                .bind("user", user.value())
                .bind("key", idempotencyKey)
                .map((rs, ctx) -> new KeyedRun(MAPPER.map(rs, ctx), rs.getString("fingerprint")))
                .findOne());
    }

    /** Frees an expired idempotency key so that it can start a new run. */
    public void releaseIdempotencyKey(RunId run) {
        jdbi.useHandle(handle -> handle.createUpdate("DELETE FROM run_idempotency_keys WHERE run_id = :id")
                .bind("id", run.value())
                .execute());
    }

    /** Moves runs from queued to running, as one JDBC batch. */
    void markStarted(Handle handle, Map<RunId, Instant> started) {
        if (started.isEmpty()) {
            return;
        }
        try (JdbcBatch batch = JdbcBatch.prepare(handle,
                "UPDATE runs SET status = ?, started_at = ? WHERE id = ? AND status = ?")) {
            started.forEach((run, at) -> batch
                    .set(RunStatus.RUNNING.wire())
                    .set(at.toEpochMilli())
                    .set(run.value())
                    .set(RunStatus.QUEUED.wire())
                    .add());
            batch.execute();
        }
    }

    /**
     * Stores how runs ended, one JDBC batch per statement: the runs' outcomes with their assistants'
     * messages, the end of their entries in {@code active_runs}, the threads' release. A run whose start is
     * in {@code startedInBatch} gets that start time, as if its start had been written first.
     */
    void finish(Handle handle, List<RunFinish> updates, Map<RunId, Instant> startedInBatch) {
        if (updates.isEmpty()) {
            return;
        }
        try (JdbcBatch runUpdates = JdbcBatch.prepare(handle, """
                UPDATE runs SET status = ?, finished_at = ?, output = ?, error_code = ?, error_message = ?,
                       prompt_tokens = ?, completion_tokens = ?, started_at = COALESCE(started_at, ?),
                       assistant_message_id = ?
                WHERE id = ?""")) {
            for (RunFinish finish : updates) {
                long finishedAt = finish.finishedAt().toEpochMilli();
                Instant startedAt = startedInBatch.get(finish.runId());
                runUpdates.set(finish.status().wire())
                        .set(finishedAt)
                        .set(finish.output())
                        .set(finish.errorCode())
                        .set(finish.errorMessage())
                        .set(finish.usage() == null ? null : finish.usage().promptTokens())
                        .set(finish.usage() == null ? null : finish.usage().completionTokens())
                        .set(startedAt == null ? finishedAt : startedAt.toEpochMilli())
                        .set(finish.assistantMessageId() == null ? null : finish.assistantMessageId().value())
                        .set(finish.runId().value())
                        .add();
            }
            runUpdates.execute();
        }
        try (JdbcBatch inactive = JdbcBatch.prepare(handle, "DELETE FROM active_runs WHERE run_id = ?")) {
            updates.forEach(finish -> inactive.set(finish.runId().value()).add());
            inactive.execute();
        }
        threads.release(handle, updates);
    }

    /**
     * Marks every run a previous process left queued or running as failed with code
     * {@code interrupted}, appends its terminal {@code run_failed} event and frees its thread.
     * Returns how many runs it closed.
     */
    public int failInterrupted() {
        return jdbi.inTransaction(handle -> {
            List<RunRecord> orphans = handle.createQuery("""
                            SELECT runs.* FROM active_runs a JOIN runs ON runs.id = a.run_id
                            WHERE runs.status IN (:queued, :running)""")
                    .bind("queued", RunStatus.QUEUED.wire())
                    .bind("running", RunStatus.RUNNING.wire())
                    .map(MAPPER)
                    .list();
            Instant now = clock.instant();
            for (RunRecord run : orphans) {
                int lastSeq = EventStore.lastSeq(handle, run.id());
                String message = "the server stopped while this run was active";
                RunEvent terminal = RunEvent.encode(run.id(), run.threadId(), lastSeq + 1, now, run.agent(),
                        new EventPayload.RunFailed("interrupted", message));
                EventStore.insert(handle, List.of(terminal));
                finish(handle, List.of(new RunFinish(run.id(), run.threadId(), RunStatus.FAILED, now, null,
                        "interrupted", message, null)), Map.of());
            }
            return orphans.size();
        });
    }
}
