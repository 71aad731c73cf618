package dev.overseer.core.run;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.store.EventStore;
import dev.overseer.core.store.NodeSignals;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.RunStore;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs that another node runs and that someone here follows (SPEC §7, ADR 0021): each is mirrored as an
 * {@link ActiveRun} fed from the database, so that a {@code resume}, a {@code subscribe} or an SSE stream on this
 * node follows it exactly as it follows a run of its own. A mirror reads the run's new events after the last seq
 * it published whenever the owner announces a commit ({@link NodeSignals#EVENTS}), and all mirrors read again when
 * this node starts listening again (what was announced meanwhile was lost). A mirror ends with its run's terminal
 * event, whoever stored it (the owner, or a node that failed it when its lease expired). Listening again, it also
 * hands the watchers of a thread the run another node admitted there meanwhile, if it is still active; a run that
 * began and ended while this node was not listening is not told to them (its messages are on the thread).
 */
@Singleton
public final class RemoteRuns {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteRuns.class);
    private static final int MAX_EVENTS_PER_READ = 10_000;

    /** Reads happen off the listening thread: reading a run must not hold up other nodes' signals. */
    private static final Executor OFF_LISTENER = task -> Thread.ofVirtual().name("mirror").start(task);

    private final Map<RunId, Mirror> mirrors = new ConcurrentHashMap<>();
    /** Per watched thread, the last announced run still being handed to watchers: runs reach them in order. */
    private final Map<ThreadId, CompletableFuture<Void>> announcing = new ConcurrentHashMap<>();
    private final NodeSignals signals;
    private final EventStore events;
    private final RunStore runs;
    private final RunRegistry registry;
    private final ThreadWatchers watchers;

    @Inject
    public RemoteRuns(NodeSignals signals, EventStore events, RunStore runs, RunRegistry registry,
            ThreadWatchers watchers) {
        this.signals = signals;
        this.events = events;
        this.runs = runs;
        this.registry = registry;
        this.watchers = watchers;
        signals.on(NodeSignals.EVENTS, this::eventsCommitted);
        signals.on(NodeSignals.RUNS, this::runAdmitted);
        signals.onListening(this::catchUpAll);
    }

    /**
     * The live stream of a stored run that another node runs, with every event stored so far already in it; empty
     * when the run has ended, or on H2 (one node, so a run not in this process's registry is not running).
     */
    public Optional<ActiveRun> follow(RunRecord run) {
        return mirror(run).map(mirror -> mirror.run);
    }

    private Optional<Mirror> mirror(RunRecord run) {
        if (!signals.shared() || !run.status().active() || registry.get(run.id()).isPresent()) {
            return Optional.empty();
        }
        Mirror mirror = mirrors.computeIfAbsent(run.id(), id -> new Mirror(new ActiveRun(id, run.threadId(), run.userId())));
        mirror.catchUp();
        return Optional.of(mirror);
    }

    /** Whether other nodes may run runs of this database (PostgreSQL); on H2 every active run is in the registry. */
    public boolean othersMayRun() {
        return signals.shared();
    }

    /** How many runs of other nodes are mirrored here (for leak checks). */
    public int mirrored() {
        return mirrors.size();
    }

    private void eventsCommitted(String payload) {
        int colon = payload.lastIndexOf(':');
        Mirror mirror = colon < 0 ? null : mirrors.get(RunId.parse(payload.substring(0, colon)));
        if (mirror != null && Integer.parseInt(payload.substring(colon + 1)) > mirror.lastSeq) {
            mirror.catchUpSoon();
        }
    }

    private void runAdmitted(String payload) {
        String[] parts = payload.split(":", 3);
        // This node's own runs reach its watchers directly (RunService), however soon they end.
        if (parts.length != 3 || parts[2].equals(signals.nodeId())) {
            return;
        }
        ThreadId thread = ThreadId.parse(parts[0]);
        RunId run = RunId.parse(parts[1]);
        if (watchers.isWatched(thread) && registry.get(run).isEmpty()) {
            handOverInTurn(thread, run);
        }
    }

    /**
     * A thread's runs are handed over one after another; each only after the one before it, so a subscriber never
     * gets a run's events before those of the run that preceded it.
     */
    private void handOverInTurn(ThreadId thread, RunId run) {
        CompletableFuture<Void> handedOver = announcing.compute(thread, (key, previous) ->
                (previous == null ? CompletableFuture.<Void>completedFuture(null) : previous)
                        .thenRunAsync(() -> handOver(run), OFF_LISTENER));
        handedOver.whenComplete((done, failure) -> announcing.remove(thread, handedOver));
    }

    private void handOver(RunId run) {
        try {
            runs.findById(run).flatMap(this::forWatchers).ifPresent(watchers::started);
        } catch (RuntimeException e) {
            LOG.warn("reading run {} that another node admitted on a watched thread failed", run, e);
        }
    }

    /**
     * A run announced on a watched thread, followed live; or, when it ended before this node read it (a short run
     * often has), its stored events as a finished stream, so that a subscriber here still gets every run.
     */
    private Optional<ActiveRun> forWatchers(RunRecord run) {
        Optional<Mirror> live = mirror(run);
        if (live.isPresent() || run.status().active()) {
            // A run found again when listening again may have been handed over already.
            return live.filter(mirror -> mirror.toldWatchers.compareAndSet(false, true)).map(mirror -> mirror.run);
        }
        ActiveRun ended = new ActiveRun(run.id(), run.threadId(), run.userId());
        events.list(run.id(), run.threadId(), 0, MAX_EVENTS_PER_READ).forEach(ended::publish);
        return Optional.of(ended);
    }

    /** Listening again: every mirror reads what it missed, and watched threads get the runs admitted meanwhile. */
    private void catchUpAll() {
        mirrors.values().forEach(Mirror::catchUpSoon);
        Set<ThreadId> watched = watchers.watched();
        if (watched.isEmpty()) {
            return;
        }
        OFF_LISTENER.execute(() -> {
            // Taken before the read: a run whose mirror ended before this is not active any more when read.
            Set<RunId> told = mirrors.entrySet().stream()
                    .filter(entry -> entry.getValue().toldWatchers.get())
                    .map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            try {
                runs.activeElsewhere(watched).forEach((thread, run) -> {
                    if (!told.contains(run)) {
                        handOverInTurn(thread, run);
                    }
                });
            } catch (RuntimeException e) {
                LOG.warn("reading the runs other nodes admitted on watched threads failed", e);
            }
        });
    }

    /** One mirrored run: its stream and the last seq published into it. */
    private final class Mirror {
        final ActiveRun run;
        volatile int lastSeq;
        /** Whether this node's watchers of the thread were handed the run. */
        final AtomicBoolean toldWatchers = new AtomicBoolean();
        private final AtomicBoolean scheduled = new AtomicBoolean();

        Mirror(ActiveRun run) {
            this.run = run;
        }

        /** Reads and publishes the events stored after {@link #lastSeq}, on a virtual thread; at most one queued. */
        void catchUpSoon() {
            if (scheduled.compareAndSet(false, true)) {
                Thread.ofVirtual().name("mirror-" + run.runId().value()).start(() -> {
                    scheduled.set(false);
                    try {
                        catchUp();
                    } catch (RuntimeException e) {
                        LOG.warn("reading the events of run {} run by another node failed", run.runId(), e);
                    }
                });
            }
        }

        synchronized void catchUp() {
            if (run.terminal().isDone()) {
                return;
            }
            List<RunEvent> fresh = events.list(run.runId(), run.threadId(), lastSeq, MAX_EVENTS_PER_READ);
            for (RunEvent event : fresh) {
                if (event.seq() != lastSeq + 1) {
                    break;
                }
                run.publish(event);
                lastSeq = event.seq();
                if (event.terminal()) {
                    mirrors.remove(run.runId(), this);
                    return;
                }
            }
            if (fresh.size() == MAX_EVENTS_PER_READ) {
                catchUpSoon();
            }
        }
    }
}
