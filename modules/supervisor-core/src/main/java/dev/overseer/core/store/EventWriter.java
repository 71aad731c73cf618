package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.core.event.RunEvent;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists run events off the hot path. Runs hand it events without waiting; one writer thread drains
 * everything queued into a single transaction (a JDBC batch of events, then one JDBC batch for each kind of
 * run update: the SQL of {@link RunStore#markStarted} and {@link RunStore#finish}, batched). Only the end of
 * a run waits: {@link #finish} completes when the run's events, outcome and assistant message are
 * committed, so a run's events are durable no later than its terminal event is sent.
 */
@Singleton
public final class EventWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventWriter.class);
    private static final int MAX_BATCH = 2_000;
    private static final int ATTEMPTS = 3;

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
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    @Inject
    public EventWriter(Jdbi jdbi, RunStore runs) {
        this.jdbi = jdbi;
        this.runs = runs;
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

    /** Inserts events in one JDBC batch on an open handle. */
    static void insertEvents(Handle handle, List<RunEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        PreparedBatch batch = handle.prepareBatch("INSERT INTO run_events (run_id, seq, type, body) VALUES (:run, :seq, :type, :body)");
        for (RunEvent event : events) {
            batch.bind("run", event.runId().value())
                    .bind("seq", event.seq())
                    .bind("type", event.type())
                    .bind("body", event.json())
                    .add();
        }
        batch.execute();
    }

    private void drainLoop() {
        List<Op> batch = new ArrayList<>();
        boolean stopping = false;
        while (!stopping) {
            try {
                Op first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
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

    private void write(List<Op> batch) throws InterruptedException {
        List<RunEvent> events = new ArrayList<>();
        Map<RunId, Instant> started = new HashMap<>();
        List<Finish> finishes = new ArrayList<>();
        for (Op op : batch) {
            switch (op) {
                case Append append -> events.add(append.event());
                case Started start -> started.put(start.runId(), start.at());
                case Finish finish -> finishes.add(finish);
                case Stop stop -> {
                }
            }
        }
        if (events.isEmpty() && started.isEmpty() && finishes.isEmpty()) {
            return;
        }
        // A run that starts and ends within one batch (the usual case: a batch holds everything queued while
        // the previous one was written) is written by its finishing update alone, which sets started_at too.
        List<RunFinish> outcomes = new ArrayList<>(finishes.size());
        Map<RunId, Instant> startedOnly = new HashMap<>(started);
        for (Finish finish : finishes) {
            outcomes.add(finish.finish());
            startedOnly.remove(finish.finish().runId());
        }
        RuntimeException failure = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                jdbi.useTransaction(handle -> {
                    insertEvents(handle, events);
                    runs.markStarted(handle, startedOnly);
                    runs.finish(handle, outcomes, started);
                });
                finishes.forEach(finish -> finish.done().complete(null));
                return;
            } catch (RuntimeException e) {
                failure = e;
                LOG.warn("writing {} events and {} run outcomes failed (attempt {} of {})",
                        events.size(), finishes.size(), attempt, ATTEMPTS, e);
                Thread.sleep(100L * attempt);
            }
        }
        LOG.error("gave up writing {} events and {} run outcomes", events.size(), finishes.size(), failure);
        for (Finish finish : finishes) {
            finish.done().completeExceptionally(failure);
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
