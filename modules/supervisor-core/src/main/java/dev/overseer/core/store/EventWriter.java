package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.metrics.Buckets;
import dev.overseer.core.trace.Tracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of runs: one thread drains everything queued into a single transaction, a group commit of
 * admissions, events, starts and outcomes (one JDBC batch per statement where it can). Callers do not wait,
 * except for what they must not get ahead of: {@link #admit} returns once the run is admitted and committed
 * (a run executes only when it is stored, ADR 0022), and {@link #finish} completes once the run's events,
 * outcome and assistant message are committed (so a run's events are durable no later than its terminal event
 * is sent).
 *
 * <p>While the database cannot be reached ({@link DatabaseOutage}), the admissions of a batch fail at once (their
 * callers answer {@code unavailable}) and the rest is retried until it can be written, so an outage loses nothing
 * that ran; a batch that fails otherwise is written again as each run's share on its own, so one bad run fails
 * alone.
 */
@Singleton
public final class EventWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventWriter.class);
    private static final int MAX_BATCH = 2_000;
    private static final int ATTEMPTS = 2;
    private static final long OUTAGE_RETRY_MILLIS = 250;
    /**
     * At most one commit per interval: every commit rewrites each changed B-tree page (H2 writes on every
     * commit), so under load a batch that waits for more work costs far less per run than one written at
     * once. A commit after a quiet spell is not delayed, nor one after a batch of a few operations (one or two runs'
     * worth: a lone run that waits a millisecond in a tool must not wait for the interval as well).
     */
    static final long COMMIT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    static final int PACED_AFTER_OPERATIONS = 16;

    private sealed interface Op {
    }

    /** {@code caller}: the span of whoever waits for it (an HTTP request, say), linked from the commit's span. */
    private record Admit(RunAdmission admission, int maxActiveRuns, CompletableFuture<RunStore.Admission> outcome,
            SpanContext caller) implements Op {
    }

    private record Append(RunEvent event) implements Op {
    }

    private record RequestApproval(RunEvent requested, PendingApproval approval, CompletableFuture<Void> stored)
            implements Op {
    }

    private record Renew(CompletableFuture<Integer> renewed) implements Op {
    }

    private record Started(RunId runId, Instant at) implements Op {
    }

    /** {@code caller}: the run's span. */
    private record Finish(RunFinish finish, CompletableFuture<Void> done, SpanContext caller) implements Op {
    }

    private record Stop() implements Op {
    }

    private final Jdbi jdbi;
    private final RunStore runs;
    private final NodeSignals signals;
    private final Tracing tracing;
    private final String databaseSystem;
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final Counter eventsWritten;
    private final DistributionSummary batchSize;
    private final Timer commitDuration;
    private volatile boolean closed;

    @Inject
    public EventWriter(Database database, RunStore runs, NodeSignals signals, MeterRegistry meters, Tracing tracing) {
        this(database.jdbi(), runs, signals, meters, tracing, database.isH2() ? "h2" : "postgresql");
    }

    /** A writer outside any trace (tests, benchmarks). */
    public EventWriter(Jdbi jdbi, RunStore runs, NodeSignals signals, MeterRegistry meters) {
        this(jdbi, runs, signals, meters, Tracing.disabled(), "h2");
    }

    private EventWriter(Jdbi jdbi, RunStore runs, NodeSignals signals, MeterRegistry meters, Tracing tracing,
            String databaseSystem) {
        this.jdbi = jdbi;
        this.runs = runs;
        this.signals = signals;
        this.tracing = tracing;
        this.databaseSystem = databaseSystem;
        this.eventsWritten = Counter.builder("overseer.events.written")
                .description("Run events committed to the database")
                .register(meters);
        this.batchSize = DistributionSummary.builder("overseer.event.writer.batch.size")
                .description("Operations (admissions, events, starts, outcomes, renewals) drained into one commit")
                .serviceLevelObjectives(Buckets.batchSizes())
                .register(meters);
        this.commitDuration = Timer.builder("overseer.event.writer.commit.duration")
                .description("One group commit's transaction, failed attempts included")
                .serviceLevelObjectives(Buckets.fast())
                .register(meters);
        this.thread = Thread.ofPlatform().name("overseer-event-writer").daemon().start(this::drainLoop);
    }

    /**
     * Admits the run in the next batch, allowing its user at most {@code maxActiveRuns} active runs on every node;
     * returns once that batch has committed, with what came of it. Throws what the batch threw (an outage among
     * others).
     */
    public RunStore.Admission admit(RunAdmission admission, int maxActiveRuns) {
        CompletableFuture<RunStore.Admission> outcome = new CompletableFuture<>();
        offer(new Admit(admission, maxActiveRuns, outcome, Span.current().getSpanContext()));
        try {
            return outcome.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /**
     * Renews the lease of every active run of this node in the next batch (ADR 0020), so that renewal never races
     * this writer for the rows it inserts and deletes; returns how many it renewed. Throws what the batch threw.
     */
    public int renewLeases() {
        CompletableFuture<Integer> renewed = new CompletableFuture<>();
        offer(new Renew(renewed));
        try {
            return renewed.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
    }

    /** Queues an event for the next batch. */
    public void append(RunEvent event) {
        offer(new Append(event));
    }

    /**
     * Queues a tool call's request for approval with its {@code approval_requested} event, which moves the run to
     * {@code requires_action}; the future completes once they are committed, so that an answer finds the request.
     */
    public CompletableFuture<Void> requestApproval(RunEvent requested, PendingApproval approval) {
        CompletableFuture<Void> stored = new CompletableFuture<>();
        offer(new RequestApproval(requested, approval, stored));
        return stored;
    }

    /** Queues the move of a run from queued to running. */
    public void started(RunId runId, Instant at) {
        offer(new Started(runId, at));
    }

    /** Queues a run's outcome; the future completes once it and every event queued before it are committed. */
    public CompletableFuture<Void> finish(RunFinish finish) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        offer(new Finish(finish, done, Span.current().getSpanContext()));
        return done;
    }

    private void offer(Op op) {
        if (closed) {
            throw new IllegalStateException("the event writer is closed");
        }
        queue.add(op);
    }

    private void drainLoop() {
        long lastCommit = System.nanoTime() - COMMIT_INTERVAL_NANOS;
        int lastBatch = 0;
        List<Op> batch = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            try {
                Op first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                long early = lastCommit + COMMIT_INTERVAL_NANOS - System.nanoTime();
                if (early > 0 && lastBatch >= PACED_AFTER_OPERATIONS) {
                    LockSupport.parkNanos(early);
                }
                lastCommit = System.nanoTime();
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                lastBatch = batch.size();
                batchSize.record(lastBatch);
                stopping = batch.stream().anyMatch(op -> op instanceof Stop);
                write(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void write(List<Op> ops) throws InterruptedException {
        Batch batch = new Batch(ops);
        if (batch.isEmpty()) {
            return;
        }
        long outageSince = 0;
        for (int attempt = 1; attempt <= ATTEMPTS; ) {
            try {
                commit(batch);
                batch.succeeded();
                if (outageSince != 0) {
                    LOG.info("the database is reachable again: wrote the {} operations held for {} ms", ops.size(),
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - outageSince));
                }
                return;
            } catch (RuntimeException e) {
                if (DatabaseOutage.isCause(e) && !closed) {
                    // Nothing that ran is lost to an outage: the batch, and what queues behind it, waits for the
                    // database. A start that would wait too is refused now instead.
                    if (batch.refuseWaiting(e)) {
                        ops = ops.stream().filter(op -> !(op instanceof Admit || op instanceof Renew)).toList();
                        batch = new Batch(ops);
                        if (batch.isEmpty()) {
                            return;
                        }
                    }
                    if (outageSince == 0) {
                        outageSince = System.nanoTime();
                        LOG.warn("the database cannot be reached; holding {} operations until it can ({})",
                                ops.size(), e.getMessage());
                    }
                    Thread.sleep(OUTAGE_RETRY_MILLIS);
                    continue;
                }
                LOG.warn("writing a batch of {} operations failed (attempt {} of {})", ops.size(), attempt, ATTEMPTS, e);
                Thread.sleep(100L * attempt);
                attempt++;
            }
        }
        // One run's bad row must not sink the others. A renewal waits for the next round instead.
        batch.renewals.forEach(renewal -> renewal.completeExceptionally(new IllegalStateException(
                "a batch failed; leases are renewed again next round")));
        Map<RunId, List<Op>> perRun = new LinkedHashMap<>();
        for (Op op : ops) {
            RunId run = runOf(op);
            if (run != null) {
                perRun.computeIfAbsent(run, key -> new ArrayList<>()).add(op);
            }
        }
        for (Map.Entry<RunId, List<Op>> share : perRun.entrySet()) {
            Batch alone = new Batch(share.getValue());
            try {
                commit(alone);
                alone.succeeded();
            } catch (RuntimeException e) {
                LOG.error("gave up writing run {}", share.getKey(), e);
                alone.failed(e);
            }
        }
    }

    /** One transaction, timed, and traced when tracing is on (the span is the no-op's otherwise). */
    private void commit(Batch batch) {
        long started = System.nanoTime();
        Span span = tracing.startCommit(databaseSystem, batch.size(), batch.callers());
        try (Scope scope = span.makeCurrent()) {
            transaction(batch);
        } catch (RuntimeException e) {
            Tracing.failed(span, e.getClass().getSimpleName(), "the batch was not committed");
            throw e;
        } finally {
            span.end();
            commitDuration.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
        eventsWritten.increment(batch.events.size());
    }

    private void transaction(Batch batch) {
        jdbi.useTransaction(handle -> {
            batch.admit(handle, runs);
            EventStore.insert(handle, batch.events);
            runs.markStarted(handle, batch.startedOnly());
            ApprovalStore.insert(handle, batch.approvals);
            runs.finish(handle, batch.outcomes(), batch.started);
            signals.announce(handle, NodeSignals.EVENTS, announcements(batch.events));
            signals.announce(handle, NodeSignals.RUNS, batch.admitted(signals.nodeId()));
            if (!batch.renewals.isEmpty()) {
                batch.renewed = runs.renewLeases(handle);
            }
        });
    }

    /** One announcement per run with events in the batch: {@code run_id:highest_seq} (ADR 0021). */
    private static List<String> announcements(List<RunEvent> events) {
        Map<RunId, Integer> highest = new LinkedHashMap<>();
        for (RunEvent event : events) {
            highest.merge(event.runId(), event.seq(), Math::max);
        }
        return highest.entrySet().stream().map(entry -> entry.getKey().value() + ":" + entry.getValue()).toList();
    }

    private static RunId runOf(Op op) {
        return switch (op) {
            case Admit admit -> admit.admission().run().id();
            case Append append -> append.event().runId();
            case RequestApproval request -> request.approval().runId();
            case Renew renew -> null;
            case Started started -> started.runId();
            case Finish finish -> finish.finish().runId();
            case Stop stop -> null;
        };
    }

    /** What one transaction writes, sorted by kind; queue order is kept within each kind. */
    private static final class Batch {
        final List<Admit> admissions = new ArrayList<>();
        /** What came of each admission, in order, once the transaction admitted them (it may still roll back). */
        final List<RunStore.Admission> admissionOutcomes = new ArrayList<>();
        final List<RunEvent> events = new ArrayList<>();
        final List<PendingApproval> approvals = new ArrayList<>();
        final List<CompletableFuture<Integer>> renewals = new ArrayList<>();
        /** How many leases the transaction renewed. */
        int renewed;
        final Map<RunId, Instant> started = new HashMap<>();
        final Map<RunId, RunFinish> finishedByRun = new LinkedHashMap<>();
        final List<CompletableFuture<Void>> waiting = new ArrayList<>();
        /** How many operations it holds. */
        private final int size;
        /** The spans of the callers it serves, for links from the commit's span (a span keeps at most 128). */
        private final List<SpanContext> callers = new ArrayList<>();

        Batch(List<Op> ops) {
            size = ops.size();
            for (Op op : ops) {
                switch (op) {
                    case Admit admit -> {
                        admissions.add(admit);
                        link(admit.caller());
                    }
                    case Append append -> events.add(append.event());
                    case RequestApproval request -> {
                        events.add(request.requested());
                        approvals.add(request.approval());
                        waiting.add(request.stored());
                    }
                    case Renew renew -> renewals.add(renew.renewed());
                    case Started start -> started.put(start.runId(), start.at());
                    case Finish finish -> {
                        finishedByRun.put(finish.finish().runId(), finish.finish());
                        waiting.add(finish.done());
                        link(finish.caller());
                    }
                    case Stop stop -> {
                    }
                }
            }
        }

        private void link(SpanContext caller) {
            if (caller.isValid() && callers.size() < 128) {
                callers.add(caller);
            }
        }

        int size() {
            return size;
        }

        List<SpanContext> callers() {
            return callers;
        }

        boolean isEmpty() {
            return admissions.isEmpty() && events.isEmpty() && renewals.isEmpty() && started.isEmpty()
                    && finishedByRun.isEmpty();
        }

        /** Admits the batch's starts, in order; those of one limit together (a process has one limit). */
        void admit(Handle handle, RunStore runs) {
            admissionOutcomes.clear();
            Map<Integer, List<Integer>> byLimit = new LinkedHashMap<>();
            for (int i = 0; i < admissions.size(); i++) {
                byLimit.computeIfAbsent(admissions.get(i).maxActiveRuns(), limit -> new ArrayList<>()).add(i);
            }
            RunStore.Admission[] outcomes = new RunStore.Admission[admissions.size()];
            byLimit.forEach((limit, indexes) -> {
                List<RunStore.Admission> decided = runs.admit(handle,
                        indexes.stream().map(i -> admissions.get(i).admission()).toList(), limit);
                for (int j = 0; j < indexes.size(); j++) {
                    outcomes[indexes.get(j)] = decided.get(j);
                }
            });
            admissionOutcomes.addAll(List.of(outcomes));
        }

        /**
         * {@code thread_id:run_id:node_id} of each run admitted, for the watchers of its thread on other nodes
         * (ADR 0021); the node id lets this node, which also hears it, know it for its own.
         */
        List<String> admitted(String nodeId) {
            List<String> payloads = new ArrayList<>();
            for (int i = 0; i < admissionOutcomes.size(); i++) {
                if (admissionOutcomes.get(i) == RunStore.Admission.ADMITTED) {
                    RunRecord run = admissions.get(i).admission().run();
                    payloads.add(run.threadId().value() + ":" + run.id().value() + ":" + nodeId);
                }
            }
            return payloads;
        }

        /** Fails the batch's admissions and renewals, whose callers must not wait, with {@code failure}; whether it had any. */
        boolean refuseWaiting(RuntimeException failure) {
            admissions.forEach(admit -> admit.outcome().completeExceptionally(failure));
            renewals.forEach(renewal -> renewal.completeExceptionally(failure));
            return !admissions.isEmpty() || !renewals.isEmpty();
        }

        List<RunFinish> outcomes() {
            return List.copyOf(finishedByRun.values());
        }

        /** Starts to write on their own: not of a run whose outcome, which sets its start too, is in this batch. */
        Map<RunId, Instant> startedOnly() {
            Map<RunId, Instant> only = new HashMap<>(started);
            only.keySet().removeAll(finishedByRun.keySet());
            return only;
        }

        void succeeded() {
            for (int i = 0; i < admissions.size(); i++) {
                admissions.get(i).outcome().complete(admissionOutcomes.get(i));
            }
            renewals.forEach(renewal -> renewal.complete(renewed));
            waiting.forEach(done -> done.complete(null));
        }

        void failed(RuntimeException failure) {
            refuseWaiting(failure);
            waiting.forEach(done -> done.completeExceptionally(failure));
        }
    }

    /** Writes everything queued so far, then stops the writer thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.add(new Stop());
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
