package dev.overseer.core.run;

import dev.overseer.context.RunId;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The runs active in this process, and how many each user has. */
@Singleton
public final class RunRegistry {
    private final Map<RunId, ActiveRun> runs = new ConcurrentHashMap<>();
    private final Map<UserId, Integer> activePerUser = new ConcurrentHashMap<>();

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

    /** Takes back a run that was added but never admitted; its slot is given back by {@link #release}. */
    public void withdraw(ActiveRun run) {
        runs.remove(run.runId(), run);
    }

    /** Removes a finished run and gives back its owner's slot. */
    void remove(ActiveRun run) {
        if (runs.remove(run.runId(), run)) {
            release(run.owner());
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
