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
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * Runs: their admission onto a thread, their status, the leases of the active ones, and recovery of runs that a
 * dead process left behind (ADR 0020).
 */
@Singleton
public final class RunStore {
    private static final RunMapper MAPPER = new RunMapper();

    /** What came of asking to start a run on a thread. */
    public enum Admission {
        ADMITTED,
        THREAD_NOT_FOUND,
        THREAD_BUSY,
        /** The user already has as many active runs as the limit allows, on any node. */
        TOO_MANY_RUNS,
        /** Another run already holds the idempotency key. */
        DUPLICATE_KEY
    }

    private static final String UNIQUE_VIOLATION = "23505";
    /** H2's {@code ErrorCode.CONCURRENT_UPDATE_1}. */
    private static final int H2_CONCURRENT_UPDATE = 90131;
    private static final int ADMISSION_ATTEMPTS = 10;

    private final Jdbi jdbi;
    private final ThreadStore threads;
    private final Clock clock;
    private final NodeLease node;

    @Inject
    public RunStore(Jdbi jdbi, ThreadStore threads, Clock clock, NodeLease node) {
        this.jdbi = jdbi;
        this.threads = threads;
        this.clock = clock;
        this.node = node;
    }

    /**
     * In one transaction of its own: counts the user's active runs on every node against
     * {@code maxActiveRuns}, makes the run the thread's active run (creating the thread if the admission brings
     * one), stores the run as queued with the user's message and its idempotency key, if any. Nothing is stored
     * unless admitted. Every start is admitted this way, before its run executes (ADR 0019, 0020).
     */
    public Admission admit(RunAdmission admission, int maxActiveRuns) {
        for (int attempt = 1; ; attempt++) {
            try {
                return admitOnce(admission, maxActiveRuns);
            } catch (UnableToExecuteStatementException e) {
                // Two admissions of one user that meet on its lock row: PostgreSQL makes the second wait, H2 may
                // refuse it instead ("concurrent update"); the retry finds the first one committed.
                if (attempt >= ADMISSION_ATTEMPTS || !(e.getCause() instanceof SQLException sql && isConflict(sql))) {
                    throw e;
                }
                try {
                    Thread.sleep(attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** A transaction that lost a race for a row: H2's concurrent update, a serialization failure or a deadlock. */
    private static boolean isConflict(SQLException sql) {
        return sql.getErrorCode() == H2_CONCURRENT_UPDATE || "40001".equals(sql.getSQLState())
                || "40P01".equals(sql.getSQLState());
    }

    private Admission admitOnce(RunAdmission admission, int maxActiveRuns) {
        try {
            return jdbi.inTransaction(handle -> {
                RunRecord run = admission.run();
                if (activeRunsLocked(handle, run.userId()) >= maxActiveRuns) {
                    handle.rollback();
                    return Admission.TOO_MANY_RUNS;
                }
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

    /**
     * How many runs the user has active, on any node, with the user's admission lock held until the transaction
     * ends: admissions of one user are counted one after the other, whichever nodes they come from. The lock is the
     * user's row in {@code run_admission_locks}, made by the user's first admission.
     */
    private static int activeRunsLocked(Handle handle, UserId user) {
        if (lockAdmissions(handle, user) == 0) {
            handle.savepoint("admission_lock");
            try {
                handle.createUpdate("INSERT INTO run_admission_locks (user_id) VALUES (:user)")
                        .bind("user", user.value())
                        .execute();
            } catch (UnableToExecuteStatementException e) {
                if (!(e.getCause() instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState()))) {
                    throw e;
                }
                // Another admission of this user made the row first: wait for its lock, as if it had been there.
                handle.rollbackToSavepoint("admission_lock");
                lockAdmissions(handle, user);
            }
        }
        return handle.createQuery("SELECT COUNT(*) FROM active_runs WHERE user_id = :user")
                .bind("user", user.value())
                .mapTo(Integer.class)
                .one();
    }

    private static int lockAdmissions(Handle handle, UserId user) {
        return handle.createUpdate("UPDATE run_admission_locks SET user_id = user_id WHERE user_id = :user")
                .bind("user", user.value())
                .execute();
    }

    /** The claim of an existing thread by {@code run}: held by {@code holder} (null: free again), touched at. */
    private static ThreadRecord claimOf(RunRecord run, RunId holder, Instant touched) {
        return new ThreadRecord(run.threadId(), run.userId(), null, null, holder, null, touched);
    }

    /** Inserts the admitted run as queued, and marks it active ({@code active_runs}), owned by this node. */
    private void insertRun(Handle handle, RunAdmission admission) {
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
        handle.createUpdate("""
                        INSERT INTO active_runs (run_id, user_id, owner_node, lease_expires_at)
                        VALUES (:run, :user, :node, :expires)""")
                .bind("run", run.id().value())
                .bind("user", run.userId().value())
                .bind("node", node.nodeId())
                .bind("expires", clock.instant().plus(node.lease()).toEpochMilli())
                .execute();
    }

    /** The run if it exists and belongs to this user. */
    public Optional<RunRecord> find(UserId user, RunId id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT * FROM runs WHERE id = :id AND user_id = :user")
                .bind("id", id.value())
                .bind("user", user.value())
                .map(MAPPER)
                .findOne());
    }

    /** The run with this id, whoever owns it: for what another node announced about it. */
    public Optional<RunRecord> findById(RunId id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT * FROM runs WHERE id = :id")
                .bind("id", id.value())
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
                WHERE id = ? AND status IN (?, ?)""")) {
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
                        // An outcome never replaces one already stored: another node may have failed this run
                        // when its lease expired (ADR 0020).
                        .set(RunStatus.QUEUED.wire())
                        .set(RunStatus.RUNNING.wire())
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
     * Extends the lease of every active run this node owns to a full lease from now, in one statement. Returns
     * how many it renewed.
     */
    public int renewLeases() {
        return jdbi.withHandle(handle -> handle.createUpdate(
                        "UPDATE active_runs SET lease_expires_at = :expires WHERE owner_node = :node")
                .bind("expires", clock.instant().plus(node.lease()).toEpochMilli())
                .bind("node", node.nodeId())
                .execute());
    }

    /** Which active runs a recovery fails. */
    public enum Abandoned {
        /** At the start of the only node (H2): every active run, whoever owned it. */
        ALL("TRUE"),
        /**
         * At the start of a node sharing the database: the runs of an earlier process with this node id (they
         * cannot be alive), of a process older than leases, and those whose lease has expired.
         */
        AT_START("(a.owner_node IS NULL OR a.owner_node = :node OR a.lease_expires_at < :now)"),
        /** While this node runs: other nodes' runs whose lease has expired (their node died or lost the database). */
        EXPIRED("(a.owner_node <> :node AND a.lease_expires_at < :now)");

        private final String condition;

        Abandoned(String condition) {
            this.condition = condition;
        }
    }

    /**
     * Fails the active runs that {@code which} names with code {@code interrupted}: for each, in a transaction of
     * its own, takes it out of {@code active_runs} (still matching the condition, so a lease renewed meanwhile
     * keeps its run, and of two nodes failing one run only one does), appends its terminal {@code run_failed}
     * event after its last stored one, stores its outcome and frees its thread. Returns the terminal events it
     * stored, one per run it failed.
     */
    public List<RunEvent> failAbandoned(Abandoned which) {
        Instant now = clock.instant();
        List<RunRecord> candidates = jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT runs.* FROM active_runs a JOIN runs ON runs.id = a.run_id WHERE " + which.condition)
                .configure(SqlStatements.class, statements -> statements.setUnusedBindingAllowed(true))
                .bind("node", node.nodeId())
                .bind("now", now.toEpochMilli())
                .map(MAPPER)
                .list());
        List<RunEvent> failed = new ArrayList<>();
        for (RunRecord run : candidates) {
            RunEvent stored = jdbi.inTransaction(handle -> {
                int taken = handle.createUpdate("DELETE FROM active_runs a WHERE a.run_id = :run AND " + which.condition)
                        .configure(SqlStatements.class, statements -> statements.setUnusedBindingAllowed(true))
                        .bind("run", run.id().value())
                        .bind("node", node.nodeId())
                        .bind("now", now.toEpochMilli())
                        .execute();
                if (taken == 0 || !(run.status() == RunStatus.QUEUED || run.status() == RunStatus.RUNNING)) {
                    return null;
                }
                Instant at = clock.instant();
                String message = which == Abandoned.EXPIRED
                        ? "the node running this run stopped renewing its lease"
                        : "the server stopped while this run was active";
                RunEvent terminal = RunEvent.encode(run.id(), run.threadId(), EventStore.lastSeq(handle, run.id()) + 1,
                        at, run.agent(), new EventPayload.RunFailed("interrupted", message));
                EventStore.insert(handle, List.of(terminal));
                finish(handle, List.of(new RunFinish(run.id(), run.threadId(), RunStatus.FAILED, at, null,
                        "interrupted", message, null)), Map.of());
                return terminal;
            });
            if (stored != null) {
                failed.add(stored);
            }
        }
        return failed;
    }
}
