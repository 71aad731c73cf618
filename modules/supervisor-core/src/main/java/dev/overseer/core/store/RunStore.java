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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
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
    private final MessageStore messages;
    private final Clock clock;

    @Inject
    public RunStore(Jdbi jdbi, ThreadStore threads, MessageStore messages, Clock clock) {
        this.jdbi = jdbi;
        this.threads = threads;
        this.messages = messages;
        this.clock = clock;
    }

    /**
     * In one transaction: creates the thread if {@code newThread} is given, makes the run the thread's
     * active run, stores the run as queued (with the idempotency key, if any) and the user's message.
     * Nothing is stored unless admitted.
     */
    public Admission admit(ThreadRecord newThread, RunRecord run, MessageRecord userMessage, String idempotencyKey,
            String fingerprint) {
        try {
            return insertAdmitted(newThread, run, userMessage, idempotencyKey, fingerprint);
        } catch (UnableToExecuteStatementException e) {
            if (idempotencyKey != null && e.getCause() instanceof SQLException sql
                    && UNIQUE_VIOLATION.equals(sql.getSQLState())) {
                return Admission.DUPLICATE_KEY;
            }
            throw e;
        }
    }

    private Admission insertAdmitted(ThreadRecord newThread, RunRecord run, MessageRecord userMessage,
            String idempotencyKey, String fingerprint) {
        return jdbi.inTransaction(handle -> {
            if (newThread != null) {
                threads.insert(handle, newThread);
            }
            long now = run.createdAt().toEpochMilli();
            if (!threads.claim(handle, run.userId(), run.threadId(), run.id(), now)) {
                boolean exists = threads.find(handle, run.userId(), run.threadId()).isPresent();
                handle.rollback();
                return exists ? Admission.THREAD_BUSY : Admission.THREAD_NOT_FOUND;
            }
            handle.createUpdate("""
                    INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, idempotency_key,
                                      idempotency_fingerprint)
                    VALUES (:id, :thread, :user, :agent, :status, :origin, :created, :key, :fingerprint)""")
                    .bind("id", run.id().value())
                    .bind("thread", run.threadId().value())
                    .bind("user", run.userId().value())
                    .bind("agent", run.agent())
                    .bind("status", run.status().wire())
                    .bind("origin", run.origin())
                    .bind("created", now)
                    .bind("key", idempotencyKey)
                    .bind("fingerprint", fingerprint)
                    .execute();
            messages.insert(handle, userMessage);
            return Admission.ADMITTED;
        });
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
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT * FROM runs WHERE user_id = :user AND idempotency_key = :key")
                .bind("user", user.value())
                .bind("key", idempotencyKey)
                .map((rs, ctx) -> new KeyedRun(MAPPER.map(rs, ctx), rs.getString("idempotency_fingerprint")))
                .findOne());
    }

    /** Frees an expired idempotency key so that it can start a new run. */
    public void releaseIdempotencyKey(RunId run) {
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE runs SET idempotency_key = NULL WHERE id = :id")
                .bind("id", run.value())
                .execute());
    }

    /** Moves runs from queued to running, as one JDBC batch. */
    void markStarted(Handle handle, Map<RunId, Instant> started) {
        if (started.isEmpty()) {
            return;
        }
        PreparedBatch batch = handle.prepareBatch(
                "UPDATE runs SET status = :status, started_at = :started WHERE id = :id AND status = :queued");
        started.forEach((run, at) -> batch
                .bind("status", RunStatus.RUNNING.wire())
                .bind("started", at.toEpochMilli())
                .bind("id", run.value())
                .bind("queued", RunStatus.QUEUED.wire())
                .add());
        batch.execute();
    }

    /**
     * Stores how runs ended, one JDBC batch per statement: the runs' outcomes, the
     * assistants' messages (in the order the runs finished), the threads' release. A run whose start is in
     * {@code startedInBatch} gets that start time, as if its start had been written first.
     */
    void finish(Handle handle, List<RunFinish> outcomes, Map<RunId, Instant> startedInBatch) {
        if (outcomes.isEmpty()) {
            return;
        }
        PreparedBatch runUpdates = handle.prepareBatch("""
                UPDATE runs SET status = :status, finished_at = :finished, output = :output,
                       error_code = :code, error_message = :message,
                       prompt_tokens = :promptTokens, completion_tokens = :completionTokens,
                       started_at = COALESCE(started_at, :started)
                WHERE id = :id""");
        List<MessageRecord> answers = new ArrayList<>();
        for (RunFinish finish : outcomes) {
            long finishedAt = finish.finishedAt().toEpochMilli();
            Instant startedAt = startedInBatch.get(finish.runId());
            runUpdates.bind("status", finish.status().wire())
                    .bind("finished", finishedAt)
                    .bind("output", finish.output())
                    .bind("code", finish.errorCode())
                    .bind("message", finish.errorMessage())
                    .bind("promptTokens", finish.usage() == null ? null : finish.usage().promptTokens())
                    .bind("completionTokens", finish.usage() == null ? null : finish.usage().completionTokens())
                    .bind("started", startedAt == null ? finishedAt : startedAt.toEpochMilli())
                    .bind("id", finish.runId().value())
                    .add();
            if (finish.assistantMessage() != null) {
                answers.add(finish.assistantMessage());
            }
        }
        runUpdates.execute();
        messages.insert(handle, answers);
        threads.release(handle, outcomes);
    }

    /**
     * Marks every run a previous process left queued or running as failed with code
     * {@code interrupted}, appends its terminal {@code run_failed} event and frees its thread.
     * Returns how many runs it closed.
     */
    public int failInterrupted() {
        return jdbi.inTransaction(handle -> {
            List<RunRecord> orphans = handle.createQuery("SELECT * FROM runs WHERE status IN (:queued, :running)")
                    .bind("queued", RunStatus.QUEUED.wire())
                    .bind("running", RunStatus.RUNNING.wire())
                    .map(MAPPER)
                    .list();
            Instant now = clock.instant();
            for (RunRecord run : orphans) {
                int lastSeq = handle.createQuery("SELECT COALESCE(MAX(seq), 0) FROM run_events WHERE run_id = :run")
                        .bind("run", run.id().value())
                        .mapTo(Integer.class)
                        .one();
                String message = "the server stopped while this run was active";
                RunEvent terminal = RunEvent.encode(run.id(), run.threadId(), lastSeq + 1, now, run.agent(),
                        new EventPayload.RunFailed("interrupted", message));
                EventWriter.insertEvents(handle, List.of(terminal));
                finish(handle, List.of(new RunFinish(run.id(), run.threadId(), RunStatus.FAILED, now, null,
                        "interrupted", message, null)), Map.of());
            }
            return orphans.size();
        });
    }
}
