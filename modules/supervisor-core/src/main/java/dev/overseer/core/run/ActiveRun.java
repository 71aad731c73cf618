package dev.overseer.core.run;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.event.RunEventListener;
import dev.overseer.core.store.RunRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The live event stream of one run while it is active: every event so far, in order, and the listeners
 * that follow it. A listener that subscribes late first gets the events it missed, then the live ones,
 * with no gap and no repeat at the seam. Owned by one user; only the run's own thread publishes.
 */
public final class ActiveRun {
    /** Why a run is being stopped from outside. */
    public enum StopReason {
        CANCELLED,
        TIMEOUT,
        SHUTDOWN
    }

    private final RunId runId;
    private final ThreadId threadId;
    private final UserId owner;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<RunEvent> events = new ArrayList<>();
    /** Copy-on-write: a listener may unsubscribe while it is being handed an event (a connection that closes). */
    private final List<RunEventListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<RunEvent> terminal = new CompletableFuture<>();
    /** How the run ended, as stored; set once that is durable, before the terminal event is published. */
    private volatile RunRecord outcome;
    private Thread runner;
    private StopReason stopReason;
    private boolean finishing;
    /** When the run's timeout clock stopped (a tool call waits for a person), or -1; and how long it stood still. */
    private long pausedSince = -1;
    private long pausedNanos;

    public ActiveRun(RunId runId, ThreadId threadId, UserId owner) {
        this.runId = runId;
        this.threadId = threadId;
        this.owner = owner;
    }

    public RunId runId() {
        return runId;
    }

    public ThreadId threadId() {
        return threadId;
    }

    public UserId owner() {
        return owner;
    }

    /** Completes with the terminal event once it has been persisted and published. */
    public CompletableFuture<RunEvent> terminal() {
        return terminal;
    }

    /** The run as stored once it ended, if it has ended and its outcome was stored. */
    public Optional<RunRecord> outcome() {
        return Optional.ofNullable(outcome);
    }

    void recordOutcome(RunRecord stored) {
        this.outcome = stored;
    }

    /**
     * Replays the events with {@code seq > afterSeq} to the listener, then keeps it informed until the
     * terminal event. Returns false when the run has already ended (the replay still happened).
     */
    public boolean subscribe(int afterSeq, RunEventListener listener) {
        lock.lock();
        try {
            for (RunEvent event : events) {
                if (event.seq() > afterSeq) {
                    listener.onEvent(event);
                }
            }
            if (terminal.isDone()) {
                return false;
            }
            listeners.add(listener);
            return true;
        } finally {
            lock.unlock();
        }
    }

    public void unsubscribe(RunEventListener listener) {
        lock.lock();
        try {
            listeners.remove(listener);
        } finally {
            lock.unlock();
        }
    }

    /** The events so far with {@code seq > afterSeq}. */
    public List<RunEvent> eventsAfter(int afterSeq) {
        lock.lock();
        try {
            return events.stream().filter(event -> event.seq() > afterSeq).toList();
        } finally {
            lock.unlock();
        }
    }

    /** Called by the run's thread: records the event and hands it to every listener. */
    void publish(RunEvent event) {
        lock.lock();
        try {
            events.add(event);
            for (RunEventListener listener : listeners) {
                listener.onEvent(event);
            }
            if (event.terminal()) {
                listeners.clear();
                terminal.complete(event);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Called by the run's thread when it starts; returns the reason if the run was stopped before it began. */
    StopReason attach(Thread thread) {
        lock.lock();
        try {
            runner = thread;
            return stopReason;
        } finally {
            lock.unlock();
        }
    }

    /** Called by the run's thread before its terminal event: from now on the run can no longer be stopped. */
    StopReason beginFinishing() {
        lock.lock();
        try {
            finishing = true;
            runner = null;
            return stopReason;
        } finally {
            lock.unlock();
        }
    }

    /** Stops or restarts the run's timeout clock: time spent waiting for a person's approval does not count. */
    void pauseClock(boolean paused) {
        lock.lock();
        try {
            if (paused && pausedSince < 0) {
                pausedSince = System.nanoTime();
            } else if (!paused && pausedSince >= 0) {
                pausedNanos += System.nanoTime() - pausedSince;
                pausedSince = -1;
            }
        } finally {
            lock.unlock();
        }
    }

    /** How long the timeout clock stood still since the last call, a pause going on now included. */
    public long takePausedNanos() {
        lock.lock();
        try {
            long now = System.nanoTime();
            long paused = pausedNanos + (pausedSince < 0 ? 0 : now - pausedSince);
            pausedNanos = 0;
            if (pausedSince >= 0) {
                pausedSince = now;
            }
            return paused;
        } finally {
            lock.unlock();
        }
    }

    /** The reason the run was asked to stop, or null. */
    StopReason stopReason() {
        lock.lock();
        try {
            return stopReason;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Asks the run to stop: its thread is interrupted, which ends a blocking tool or model call at once.
     * False when the run is already finishing.
     */
    public boolean stop(StopReason reason) {
        lock.lock();
        try {
            if (finishing || terminal.isDone()) {
                return false;
            }
            if (stopReason == null) {
                stopReason = reason;
            }
            if (runner != null) {
                runner.interrupt();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
