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
 * The runs active in this process, how many each user has, and which threads they hold. This process is
 * the only one writing to its database (recovery at start-up relies on that too), so the threads held
 * here are exactly the threads stored as busy, and they are held before their claim is even stored.
 */
@Singleton
public final class RunRegistry {
    /** What holds a thread while it is being deleted. */
    private static final Object DELETION = new Object();

    private final Map<RunId, ActiveRun> runs = new ConcurrentHashMap<>();
    private final Map<UserId, Integer> activePerUser = new ConcurrentHashMap<>();
    /** Thread → the {@link ActiveRun} (or {@link #DELETION}) holding it. */
    private final Map<ThreadId, Object> heldThreads = new ConcurrentHashMap<>();

    @Inject
    public RunRegistry() {
    }

    /** Takes one of the user's active-run slots; false when they already hold {@code max}. */
    public boolean reserve(UserId user, int max) {
        boolean[] reserved = {false};
        activePerUser.compute(user, (key, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            reserved[0] = true;
            return current + 1;
        });
        return reserved[0];
    }

    /** Gives back a slot taken by {@link #reserve}. */
    public void release(UserId user) {
        activePerUser.computeIfPresent(user, (key, count) -> count <= 1 ? null : count - 1);
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

    /**
     * Takes back a run that was added but never admitted, and the thread it held, if any; its slot is given
     * back by {@link #release}.
     */
    public void withdraw(ActiveRun run) {
        runs.remove(run.runId(), run);
        heldThreads.remove(run.threadId(), run);
    }

    /** Removes a finished run (whose thread is free again in the database) and gives back its owner's slot. */
    void remove(ActiveRun run) {
        // Thread and slot first: whoever no longer finds the run here reads its end from the database, and may
        // start the next run at once; it must find both free.
        heldThreads.remove(run.threadId(), run);
        if (runs.get(run.runId()) == run) {
            release(run.owner());
            runs.remove(run.runId(), run);
        }
    }

    /** The active run with this id if this user owns it. */
    public Optional<ActiveRun> find(UserId user, RunId id) {
        ActiveRun run = runs.get(id);
        return run != null && run.owner().equals(user) ? Optional.of(run) : Optional.empty();
    }

    public int activeCount() {
        return runs.size();
    }

    public int activeCount(UserId user) {
        return activePerUser.getOrDefault(user, 0);
    }

    public Collection<ActiveRun> all() {
        return List.copyOf(runs.values());
    }
}
