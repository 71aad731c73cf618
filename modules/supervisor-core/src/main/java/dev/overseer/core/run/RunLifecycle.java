package dev.overseer.core.run;

import dev.overseer.context.RunId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.metrics.OverseerMetrics;
import dev.overseer.core.store.EventWriter;
import dev.overseer.core.store.PendingApproval;
import dev.overseer.core.store.RunFinish;
import dev.overseer.core.store.RunRecord;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a running supervisor does to the shared machinery: every event goes to the batched writer and to
 * the run's live stream; the end of a run waits until it is durable, leaves the registry, then publishes
 * the terminal event.
 */
@Singleton
public final class RunLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(RunLifecycle.class);
    private static final long DURABILITY_WAIT_SECONDS = 30;

    private final EventWriter writer;
    private final RunRegistry registry;
    private final OverseerMetrics metrics;

    @Inject
    public RunLifecycle(EventWriter writer, RunRegistry registry, OverseerMetrics metrics) {
        this.writer = writer;
        this.registry = registry;
        this.metrics = metrics;
    }

    public ActiveRun.StopReason attach(ActiveRun run, Thread thread) {
        return run.attach(thread);
    }

    public void started(RunId runId, Instant at) {
        writer.started(runId, at);
    }

    public ActiveRun.StopReason stopReasonOf(ActiveRun run) {
        return run.stopReason();
    }

    /** From now on the run cannot be stopped; returns the reason if a stop was asked for before. */
    public ActiveRun.StopReason beginFinishing(ActiveRun run) {
        return run.beginFinishing();
    }

    /** Persists (asynchronously) and publishes one non-terminal event. */
    public void emit(ActiveRun run, RunEvent event) {
        writer.append(event);
        run.publish(event);
        metrics.eventEmitted();
    }

    /**
     * Stores a tool call's request for approval with its event, waits until they are committed (an answer must find
     * the request), then publishes the event. The wait is not cut short by a cancel, which the caller sees next.
     */
    public void requestApproval(ActiveRun run, RunEvent requested, PendingApproval approval) {
        try {
            writer.requestApproval(requested, approval).orTimeout(DURABILITY_WAIT_SECONDS, TimeUnit.SECONDS).join();
        } catch (CompletionException e) {
            throw new IllegalStateException("the approval request of run " + run.runId() + " could not be stored",
                    e.getCause());
        }
        run.publish(requested);
        metrics.eventEmitted();
    }

    /** Stops or restarts the run's timeout clock while a tool call waits for a person. */
    public void pauseClock(ActiveRun run, boolean paused) {
        run.pauseClock(paused);
    }

    /**
     * Persists the terminal event and the run's outcome, waits until they are committed, then publishes;
     * {@code stored} is the run as it now reads from the database.
     */
    public void finish(ActiveRun run, RunEvent terminal, RunFinish outcome, RunRecord stored, Duration duration) {
        writer.append(terminal);
        try {
            writer.finish(outcome).get(DURABILITY_WAIT_SECONDS, TimeUnit.SECONDS);
            run.recordOutcome(stored);
        } catch (ExecutionException | TimeoutException e) {
            LOG.error("run {} ended but its outcome could not be stored; clients are told anyway", run.runId(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // The slot goes back first: a client that starts its next run on seeing this terminal event
            // must find it free. Late followers then read the (already durable) events from the database.
            registry.remove(run);
            run.publish(terminal);
            metrics.eventEmitted();
            metrics.runFinished(stored.origin(), outcome.status().wire(), duration);
        }
    }
}
