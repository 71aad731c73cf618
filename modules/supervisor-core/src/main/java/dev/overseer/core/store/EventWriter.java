package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.core.event.RunEvent;
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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of what runs emit: one thread drains everything queued into a single transaction, a
 * group commit of events, starts and outcomes (one JDBC batch per statement). Callers do not wait, except
 * for what they must not get ahead of: {@link #finish} completes once the run's events, outcome and
 * assistant message are committed (so a run's events are durable no later than its terminal event is
 * sent). A run is admitted before any of this, by its own transaction ({@link RunStore#admit}, ADR 0019).
 *
 * <p>While the database cannot be reached ({@link DatabaseOutage}), a batch is retried until it can, so an
 * outage loses nothing; a batch that fails otherwise is written again as each run's share on its own, so one
 * bad run fails alone.
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
     * once. A commit after a quiet spell is not delayed.
     */
    static final long COMMIT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private sealed interface Op {
    }

    private record Append(RunEvent event) implements Op {
    }

    private record Started(RunId runId, Instant at) implements Op {
    }

    private record Finish(RunFinish finish, CompletableFuture<Void> done) implements Op {
    }

    private record Stop() implements Op {
    }

    private final Jdbi jdbi;
    private final RunStore runs;
    private final NodeSignals signals;
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    @Inject
    public EventWriter(Jdbi jdbi, RunStore runs, NodeSignals signals) {
        this.jdbi = jdbi;
        this.runs = runs;
        this.signals = signals;
        this.thread = Thread.ofPlatform().name("overseer-event-writer").daemon().start(this::drainLoop);
    }

    /** Queues an event for the next batch. */
    public void append(RunEvent event) {
        offer(new Append(event));
    }

    /** Queues the move of a run from queued to running. */
    public void started(RunId runId, Instant at) {
        offer(new Started(runId, at));
    }

    /** Queues a run's outcome; the future completes once it and every event queued before it are committed. */
    public CompletableFuture<Void> finish(RunFinish finish) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        offer(new Finish(finish, done));
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
        List<Op> batch = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            try {
                Op first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                long early = lastCommit + COMMIT_INTERVAL_NANOS - System.nanoTime();
                if (early > 0) {
                    LockSupport.parkNanos(early);
                }
                lastCommit = System.nanoTime();
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
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
                    // Nothing is lost to an outage: the batch, and what queues behind it, waits for the database.
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
        // One run's bad row must not sink the others.
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

    private void commit(Batch batch) {
        jdbi.useTransaction(handle -> {
            EventStore.insert(handle, batch.events);
            runs.markStarted(handle, batch.startedOnly());
            runs.finish(handle, batch.outcomes(), batch.started);
            signals.announce(handle, NodeSignals.EVENTS, announcements(batch.events));
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
            case Append append -> append.event().runId();
            case Started started -> started.runId();
            case Finish finish -> finish.finish().runId();
            case Stop stop -> null;
        };
    }

    /** What one transaction writes, sorted by kind; queue order is kept within each kind. */
    private static final class Batch {
        final List<RunEvent> events = new ArrayList<>();
        final Map<RunId, Instant> started = new HashMap<>();
        final Map<RunId, RunFinish> finishedByRun = new LinkedHashMap<>();
        final List<CompletableFuture<Void>> waiting = new ArrayList<>();

        Batch(List<Op> ops) {
            for (Op op : ops) {
                switch (op) {
                    case Append append -> events.add(append.event());
                    case Started start -> started.put(start.runId(), start.at());
                    case Finish finish -> {
                        finishedByRun.put(finish.finish().runId(), finish.finish());
                        waiting.add(finish.done());
                    }
                    case Stop stop -> {
                    }
                }
            }
        }

        boolean isEmpty() {
            return events.isEmpty() && started.isEmpty() && finishedByRun.isEmpty();
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
            waiting.forEach(done -> done.complete(null));
        }

        void failed(RuntimeException failure) {
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
