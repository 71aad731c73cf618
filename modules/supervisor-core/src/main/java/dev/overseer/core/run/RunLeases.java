package dev.overseer.core.run;

import dev.overseer.core.event.RunEvent;
import dev.overseer.core.store.EventWriter;
import dev.overseer.core.store.NodeLease;
import dev.overseer.core.store.NodeSignals;
import dev.overseer.core.store.RunStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's runs alive in the database and fails other nodes' runs that no one keeps alive (SPEC §7,
 * ADR 0020): every third of the lease, one statement renews the lease of every run this node owns (in the event
 * writer's next batch, which also inserts and deletes those rows: ADR 0022), then the
 * runs whose lease has expired are failed {@code interrupted}. Renewal goes on until {@link #close}, which comes
 * after this node's own runs have ended. On PostgreSQL it also vacuums {@code active_runs} every second (ADR 0034).
 */
@Singleton
public final class RunLeases implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunLeases.class);
    static final long VACUUM_EVERY_MILLIS = 1_000;

    private final RunStore runs;
    private final EventWriter writer;
    private final NodeLease node;
    private final NodeSignals signals;
    private final Counter reaped;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("overseer-run-leases").daemon().factory());
    /** Whether the last round failed, so that an outage is logged when it begins and when it ends, not every round. */
    private boolean failing;

    @Inject
    public RunLeases(RunStore runs, EventWriter writer, NodeLease node, NodeSignals signals, MeterRegistry meters) {
        this.runs = runs;
        this.writer = writer;
        this.node = node;
        this.signals = signals;
        this.reaped = Counter.builder("overseer.runs.reaped")
                .description("Runs of other nodes failed as interrupted by this node because their lease expired")
                .register(meters);
    }

    /**
     * At start: fails the active runs that no live node can hold (on H2, {@code onlyNode}, every active run) and
     * announces their terminal events. Returns how many it failed.
     */
    public int recoverAtStart(boolean onlyNode) {
        return fail(onlyNode ? RunStore.Abandoned.ALL : RunStore.Abandoned.AT_START).size();
    }

    /** Fails the runs {@code which} names; their followers on other nodes read the terminal event (ADR 0021). */
    private List<RunEvent> fail(RunStore.Abandoned which) {
        List<RunEvent> terminals = runs.failAbandoned(which);
        for (RunEvent terminal : terminals) {
            signals.send(NodeSignals.EVENTS, terminal.runId().value() + ":" + terminal.seq());
        }
        return terminals;
    }

    /** Starts renewing and reaping, every third of the lease, and on PostgreSQL vacuuming, every second. */
    public void start() {
        long period = node.renewEvery().toMillis();
        timer.scheduleWithFixedDelay(this::round, period, period, TimeUnit.MILLISECONDS);
        if (signals.shared()) {
            timer.scheduleWithFixedDelay(this::vacuum, VACUUM_EVERY_MILLIS, VACUUM_EVERY_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** A failed vacuum (the database unreachable, which renewal logs) is tried again next second. */
    private void vacuum() {
        try {
            runs.vacuumActiveRuns();
        } catch (RuntimeException e) {
            LOG.debug("vacuuming active_runs failed", e);
        }
    }

    /** One renewal, then one reaping; a failure (the database unreachable) is logged and tried again next round. */
    void round() {
        try {
            writer.renewLeases();
            List<RunEvent> failed = fail(RunStore.Abandoned.EXPIRED);
            if (!failed.isEmpty()) {
                reaped.increment(failed.size());
                LOG.warn("failed {} runs of other nodes as interrupted: their lease expired ({})", failed.size(),
                        failed.stream().map(terminal -> terminal.runId().value()).toList());
            }
            if (failing) {
                failing = false;
                LOG.info("renewing run leases again");
            }
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("cannot renew this node's run leases; retrying every {} ms ({})", node.renewEvery().toMillis(),
                        e.getMessage());
            }
        }
    }

    /** Stops renewing: this node's runs have ended (or their leases will expire, as if it had died). */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
