package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
     * Admits one run in a transaction of its own, as the event writer admits starts in its batches
     * ({@link EventWriter#admit}), retried when it loses a race for a row (two nodes admitting for one user; H2
     * refuses rather than waits). A start whose idempotency key another run took meanwhile is
     * {@link Admission#DUPLICATE_KEY}.
     */
    public Admission admit(RunAdmission admission, int maxActiveRuns) {
        for (int attempt = 1; ; attempt++) {
            try {
                return jdbi.inTransaction(handle -> admit(handle, List.of(admission), maxActiveRuns).get(0));
            } catch (RuntimeException e) {
                SQLException sql = sqlCause(e);
                if (sql != null && UNIQUE_VIOLATION.equals(sql.getSQLState()) && admission.idempotencyKey() != null) {
                    return Admission.DUPLICATE_KEY;
                }
                if (attempt >= ADMISSION_ATTEMPTS || sql == null || !isConflict(sql)) {
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

    /**
     * On an open transaction, admits each run in order, or says why not: counts each user's active runs on every
     * node against {@code maxActiveRuns}, with the user's admission lock held until the transaction ends (so
     * admissions of one user are counted one after the other, whichever nodes they come from), checks the
     * idempotency key, makes the run the thread's active run (creating the thread if the admission brings one),
     * and stores the run as queued with the user's message and its key. Nothing is stored for a run it refuses.
     * Every start is admitted this way, before its run executes (ADR 0019, 0020, 0022).
     */
    List<Admission> admit(Handle handle, List<RunAdmission> admissions, int maxActiveRuns) {
        Map<UserId, Integer> active = activeRunsLocked(handle, admissions);
        Map<ThreadId, ThreadStore.Occupancy> existing = threads.occupancy(handle, admissions.stream()
                .filter(admission -> admission.newThread() == null)
                .map(admission -> admission.run().threadId())
                .toList());
        Set<String> keysTaken = new HashSet<>();
        Set<ThreadId> claimed = new HashSet<>();
        List<Admission> outcomes = new ArrayList<>(admissions.size());
        List<ThreadRecord> newThreads = new ArrayList<>();
        Map<ThreadId, Instant> touched = new HashMap<>();
        List<RunAdmission> admitted = new ArrayList<>();
        for (RunAdmission admission : admissions) {
            RunRecord run = admission.run();
            Admission outcome = decide(handle, admission, active.getOrDefault(run.userId(), 0), maxActiveRuns, keysTaken,
                    existing, claimed);
            outcomes.add(outcome);
            if (outcome != Admission.ADMITTED) {
                continue;
            }
            active.merge(run.userId(), 1, Integer::sum);
            claimed.add(run.threadId());
            if (admission.idempotencyKey() != null) {
                keysTaken.add(run.userId().value() + '\n' + admission.idempotencyKey());
            }
            ThreadRecord thread = admission.newThread();
            if (thread != null) {
                newThreads.add(new ThreadRecord(thread.id(), thread.userId(), thread.title(), thread.metadataJson(),
                        thread.createdAt(), run.createdAt()));
            } else {
                touched.put(run.threadId(), run.createdAt());
            }
            admitted.add(admission);
        }
        threads.insert(handle, newThreads);
        threads.touch(handle, touched);
        insertRuns(handle, admitted);
        return outcomes;
    }

    /**
     * Whether one run may be admitted, given the user's active runs so far, the existing threads of the batch and
     * those its earlier admissions claimed: the limit, its key, and its thread (of two starts on one thread the
     * first takes it).
     */
    private Admission decide(Handle handle, RunAdmission admission, int activeRuns, int maxActiveRuns,
            Set<String> keysTaken, Map<ThreadId, ThreadStore.Occupancy> existing, Set<ThreadId> claimed) {
        RunRecord run = admission.run();
        if (activeRuns >= maxActiveRuns) {
            return Admission.TOO_MANY_RUNS;
        }
        String key = admission.idempotencyKey();
        if (key != null && (keysTaken.contains(run.userId().value() + '\n' + key) || keyTaken(handle, run.userId(), key))) {
            return Admission.DUPLICATE_KEY;
        }
        if (admission.newThread() != null) {
            return Admission.ADMITTED;
        }
        ThreadStore.Occupancy thread = existing.get(run.threadId());
        if (thread == null || !thread.owner().equals(run.userId())) {
            return Admission.THREAD_NOT_FOUND;
        }
        return thread.busy() || claimed.contains(run.threadId()) ? Admission.THREAD_BUSY : Admission.ADMITTED;
    }

    /** Whether another run holds the key; with the user's admission lock held, no admission can take it meanwhile. */
    private static boolean keyTaken(Handle handle, UserId user, String key) {
        return handle.createQuery("SELECT COUNT(*) FROM run_idempotency_keys WHERE user_id = :user AND idempotency_key = :key")
                .bind("user", user.value())
                .bind("key", key)
                .mapTo(Integer.class)
                .one() > 0;
    }

    /** A transaction that lost a race for a row: H2's concurrent update, a serialization failure or a deadlock. */
    private static boolean isConflict(SQLException sql) {
        return sql.getErrorCode() == H2_CONCURRENT_UPDATE || "40001".equals(sql.getSQLState())
                || "40P01".equals(sql.getSQLState());
    }

    /** The driver's exception under a Jdbi or {@link JdbcBatch} failure (a batch's own, if it carries one). */
    private static SQLException sqlCause(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql) {
                return sql.getNextException() != null && sql.getSQLState() == null ? sql.getNextException() : sql;
            }
        }
        return null;
    }

    /**
     * How many runs each user of the admissions has active, on any node, with the users' admission locks held until
     * the transaction ends. The lock is the user's row in {@code run_admission_locks}, made by the user's first
     * admission; the rows are locked in the users' order, so that two nodes' batches never wait for each other in
     * a circle.
     */
    private static Map<UserId, Integer> activeRunsLocked(Handle handle, List<RunAdmission> admissions) {
        List<UserId> users = admissions.stream().map(admission -> admission.run().userId()).distinct().toList();
        AdmissionLocks.lock(handle, users);
        Map<UserId, Integer> active = new HashMap<>();
        handle.createQuery("SELECT user_id, COUNT(*) AS n FROM active_runs WHERE user_id = ANY(:users) GROUP BY user_id")
                .bindArray("users", String.class, users.stream().map(UserId::value).toList())
                .map((rs, ctx) -> Map.entry(new UserId(rs.getString("user_id")), rs.getInt("n")))
                .forEach(entry -> active.put(entry.getKey(), entry.getValue()));
        return active;
    }

    /**
     * Inserts the admitted runs as queued, with their idempotency keys, and marks them active ({@code active_runs}),
     * owned by this node and holding their threads: one JDBC batch per statement.
     */
    private void insertRuns(Handle handle, List<RunAdmission> admitted) {
        if (admitted.isEmpty()) {
            return;
        }
        try (JdbcBatch runs = JdbcBatch.prepare(handle, """
                INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, position,
                                  user_message_id, user_message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")) {
            for (RunAdmission admission : admitted) {
                RunRecord run = admission.run();
                runs.set(run.id().value())
                        .set(run.threadId().value())
                        .set(run.userId().value())
                        .set(run.agent())
                        .set(run.status().wire())
                        .set(run.origin())
                        .set(run.createdAt().toEpochMilli())
                        .set(admission.position())
                        .set(admission.userMessage().id().value())
                        .set(admission.userMessage().content())
                        .add();
            }
            runs.execute();
        }
        long expires = clock.instant().plus(node.lease()).toEpochMilli();
        try (JdbcBatch active = JdbcBatch.prepare(handle, """
                INSERT INTO active_runs (run_id, thread_id, user_id, owner_node, lease_expires_at)
                VALUES (?, ?, ?, ?, ?)""")) {
            for (RunAdmission admission : admitted) {
                active.set(admission.run().id().value())
                        .set(admission.run().threadId().value())
                        .set(admission.run().userId().value())
                        .set(node.nodeId())
                        .set(expires)
                        .add();
            }
            active.execute();
        }
        List<RunAdmission> keyed = admitted.stream().filter(admission -> admission.idempotencyKey() != null).toList();
        if (keyed.isEmpty()) {
            return;
        }
        try (JdbcBatch keys = JdbcBatch.prepare(handle, """
                INSERT INTO run_idempotency_keys (user_id, idempotency_key, run_id, fingerprint) VALUES (?, ?, ?, ?)""")) {
            for (RunAdmission admission : keyed) {
                keys.set(admission.run().userId().value())
                        .set(admission.idempotencyKey())
                        .set(admission.run().id().value())
                        .set(admission.fingerprint())
                        .add();
            }
            keys.execute();
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
     * messages, and the end of their entries in {@code active_runs}, which frees their threads. A run whose start is
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
                WHERE id = ? AND status IN (?, ?, ?)""")) {
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
                        .set(RunStatus.REQUIRES_ACTION.wire())
                        .add();
            }
            runUpdates.execute();
        }
        try (JdbcBatch inactive = JdbcBatch.prepare(handle, "DELETE FROM active_runs WHERE run_id = ?")) {
            updates.forEach(finish -> inactive.set(finish.runId().value()).add());
            inactive.execute();
        }
    }

    /**
     * Extends the lease of every active run this node owns to a full lease from now, in one statement. Returns
     * how many it renewed.
     */
    public int renewLeases() {
        return jdbi.withHandle(this::renewLeases);
    }

    /** The same on an open transaction: the event writer's, which inserts and deletes those rows too. */
    int renewLeases(Handle handle) {
        return handle.createUpdate("UPDATE active_runs SET lease_expires_at = :expires WHERE owner_node = :node")
                .bind("expires", clock.instant().plus(node.lease()).toEpochMilli())
                .bind("node", node.nodeId())
                .execute();
    }

    /** The active run that another node owns on each of these threads that has one (a thread has at most one). */
    public Map<ThreadId, RunId> activeElsewhere(Collection<ThreadId> threads) {
        Map<ThreadId, RunId> active = new HashMap<>();
        if (threads.isEmpty()) {
            return active;
        }
        jdbi.useHandle(handle -> handle.createQuery(
                        "SELECT thread_id, run_id FROM active_runs WHERE thread_id = ANY(:threads) AND owner_node <> :node")
                .bindArray("threads", String.class, threads.stream().map(ThreadId::value).toList())
                .bind("node", node.nodeId())
                .map((rs, ctx) -> Map.entry(new ThreadId(rs.getString("thread_id")), new RunId(rs.getString("run_id"))))
                .forEach(entry -> active.put(entry.getKey(), entry.getValue())));
        return active;
    }

    /**
     * PostgreSQL only: vacuums {@code active_runs}, the one table every run inserts a row into and deletes it from.
     * Left to autovacuum (at most once a minute), its dead rows pile up by the thousand a second under load, and
     * every admission's count and thread check wades through them (ADR 0034). Skips the table when another node is
     * vacuuming it, and never truncates it (truncating takes a lock that would stall the event writer).
     */
    public void vacuumActiveRuns() {
        jdbi.useHandle(handle -> handle.execute("VACUUM (SKIP_LOCKED, TRUNCATE false) active_runs"));
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
                if (taken == 0 || !run.status().active()) {
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
