package dev.overseer.core.run;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runs active in this process and the threads they hold. What holds across nodes (a thread's one active run,
 * a user's active-run limit) is decided by the admission transaction (ADR 0019, 0020); a thread held here spares
 * that transaction a start that this process already knows is busy, and keeps a deletion from racing a start.
 */
@Singleton
public final class RunRegistry {
    /** What holds a thread while it is being deleted. */
    private static final Object DELETION = new Object();

    private final Map<RunId, ActiveRun> runs = new ConcurrentHashMap<>();
    /** Thread → the {@link ActiveRun} (or {@link #DELETION}) holding it. */
    private final Map<ThreadId, Object> heldThreads = new ConcurrentHashMap<>();

    @Inject
    public RunRegistry() {
    }

    public void add(ActiveRun run) {
        runs.put(run.runId(), run);
    }

    /** Makes the run the one that holds its thread; false when another run (or a deletion) holds it. */
    public boolean holdThread(ActiveRun run) {
        return heldThreads.putIfAbsent(run.threadId(), run) == null;
    }

    /** Holds the thread while it is deleted; false when a run holds it. Give it back with {@link #endDeletion}. */
    public boolean beginDeletion(ThreadId thread) {
        return heldThreads.putIfAbsent(thread, DELETION) == null;
    }

    public void endDeletion(ThreadId thread) {
        heldThreads.remove(thread, DELETION);
    }

    /** Takes back a run that was added but never admitted, and the thread it held, if any. */
    public void withdraw(ActiveRun run) {
        runs.remove(run.runId(), run);
        heldThreads.remove(run.threadId(), run);
    }

    /** Removes a finished run, whose thread is free again in the database. */
    void remove(ActiveRun run) {
        // The thread first: whoever no longer finds the run here reads its end from the database, and may start the
        // next run at once; it must find the thread free.
        heldThreads.remove(run.threadId(), run);
        runs.remove(run.runId(), run);
    }

    /** The active run with this id, whoever owns it: for what another node asks of it. */
    public Optional<ActiveRun> get(RunId id) {
        return Optional.ofNullable(runs.get(id));
    }

    /** The active run with this id if this user owns it. */
    public Optional<ActiveRun> find(UserId user, RunId id) {
        ActiveRun run = runs.get(id);
        return run != null && run.owner().equals(user) ? Optional.of(run) : Optional.empty();
    }

    public int activeCount() {
        return runs.size();
    }

    /** How many of this user's runs are active in this process. */
    public int activeCount(UserId user) {
        return (int) runs.values().stream().filter(run -> run.owner().equals(user)).count();
    }

    public Collection<ActiveRun> all() {
        return List.copyOf(runs.values());
    }
}
