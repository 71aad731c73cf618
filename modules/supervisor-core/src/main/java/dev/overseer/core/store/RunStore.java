package dev.overseer.core.store;

import dev.overseer.context.MessageId;
import dev.overseer.context.RunId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.model.TokenUsage;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
     * any. Nothing is stored unless admitted. Starts without a key are admitted by the
     * {@link EventWriter}'s group commit instead ({@link #admitAll}).
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
                insertRuns(handle, List.of(admission), Map.of(), Map.of());
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

    /**
     * Stores admissions without an idempotency key on an open handle, one JDBC batch per statement: new
     * threads, the claims of existing threads, the runs with their users' messages. The caller holds those
     * threads, so each claim must take; one that does not fails the whole batch. A run that already started
     * or finished by now is stored as it is now: running, or finished with its thread free again and its
     * assistant message.
     */
    void admitAll(Handle handle, List<RunAdmission> admissions, Map<RunId, Instant> started,
            Map<RunId, RunFinish> finished) {
        if (admissions.isEmpty()) {
            return;
        }
        List<ThreadRecord> newThreads = new ArrayList<>();
        List<ThreadRecord> claimed = new ArrayList<>();
        for (RunAdmission admission : admissions) {
            if (admission.idempotencyKey() != null) {
                throw new IllegalArgumentException("a start with an idempotency key is admitted on its own");
            }
            RunRecord run = admission.run();
            RunFinish finish = finished.get(run.id());
            RunId holder = finish == null ? run.id() : null;
            Instant touched = finish == null ? run.createdAt() : finish.finishedAt();
            ThreadRecord thread = admission.newThread();
            if (thread != null) {
                newThreads.add(new ThreadRecord(thread.id(), thread.userId(), thread.title(), thread.metadataJson(),
                        holder, thread.createdAt(), touched));
            } else {
                claimed.add(claimOf(run, holder, touched));
            }
        }
        threads.insert(handle, newThreads);
        boolean[] took = threads.claim(handle, claimed);
        for (int i = 0; i < took.length; i++) {
            if (!took[i]) {
                throw new IllegalStateException("thread " + claimed.get(i).id().value() + " is gone or not free");
            }
        }
        insertRuns(handle, admissions, started, finished);
    }

    /** Inserts the runs as they are now, and marks those not finished yet as active ({@code active_runs}). */
    private static void insertRuns(Handle handle, List<RunAdmission> admissions, Map<RunId, Instant> started,
            Map<RunId, RunFinish> finished) {
        List<RunId> active = new ArrayList<>();
        try (JdbcBatch batch = JdbcBatch.prepare(handle, """
                INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, started_at, finished_at,
                                  output, error_code, error_message, prompt_tokens, completion_tokens, position,
                                  user_message_id, user_message, assistant_message_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (RunAdmission admission : admissions) {
                RunRecord run = admission.run();
                RunFinish finish = finished.get(run.id());
                Instant startedAt = started.get(run.id());
                RunStatus status = finish != null ? finish.status()
                        : startedAt != null ? RunStatus.RUNNING : run.status();
                if (finish != null && startedAt == null) {
                    startedAt = finish.finishedAt();
                }
                if (finish == null) {
                    active.add(run.id());
                }
                TokenUsage usage = finish == null ? null : finish.usage();
                MessageId answer = finish == null ? null : finish.assistantMessageId();
                batch.set(run.id().value())
                        .set(run.threadId().value())
                        .set(run.userId().value())
                        .set(run.agent())
                        .set(status.wire())
                        .set(run.origin())
                        .set(run.createdAt().toEpochMilli())
                        .set(startedAt == null ? null : startedAt.toEpochMilli())
                        .set(finish == null ? null : finish.finishedAt().toEpochMilli())
                        .set(finish == null ? null : finish.output())
                        .set(finish == null ? null : finish.errorCode())
                        .set(finish == null ? null : finish.errorMessage())
                        .set(usage == null ? null : usage.promptTokens())
                        .set(usage == null ? null : usage.completionTokens())
                        .set(admission.position())
                        .set(admission.userMessage().id().value())
                        .set(admission.userMessage().content())
                        .set(answer == null ? null : answer.value())
                        .add();
            }
            batch.execute();
        }
        if (!active.isEmpty()) {
            try (JdbcBatch rows = JdbcBatch.prepare(handle, "INSERT INTO active_runs (run_id) VALUES (?)")) {
                active.forEach(run -> rows.set(run.value()).add());
                rows.execute();
            }
        }
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
     * in {@code startedInBatch} gets that start time, as if its start had been written first. A run in {@code admittedInBatch} was inserted finished, with
     * its thread free ({@link #admitAll}): nothing is left to store.
     */
    void finish(Handle handle, List<RunFinish> outcomes, Map<RunId, Instant> startedInBatch,
            Set<RunId> admittedInBatch) {
        if (outcomes.isEmpty()) {
            return;
        }
        List<RunFinish> updates = new ArrayList<>(outcomes.size());
        for (RunFinish finish : outcomes) {
            if (!admittedInBatch.contains(finish.runId())) {
                updates.add(finish);
            }
        }
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
                        "interrupted", message, null)), Map.of(), Set.of());
            }
            return orphans.size();
        });
    }
}
