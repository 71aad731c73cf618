package dev.overseer.core.run;

import dev.overseer.context.ThreadId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Who wants to hear of new runs on a thread (a second tab subscribed to it). Watchers are registered only
 * after the thread's owner was checked, so a watcher only ever hears of its own user's runs.
 */
@Singleton
public final class ThreadWatchers {
    private final Map<ThreadId, Set<Consumer<ActiveRun>>> watchers = new ConcurrentHashMap<>();

    @Inject
    public ThreadWatchers() {
    }

    /** Calls {@code onRun} with each run started on the thread from now on, until the returned handle is run. */
    public Runnable watch(ThreadId thread, Consumer<ActiveRun> onRun) {
        watchers.computeIfAbsent(thread, key -> ConcurrentHashMap.newKeySet()).add(onRun);
        return () -> watchers.computeIfPresent(thread, (key, set) -> {
            set.remove(onRun);
            return set.isEmpty() ? null : set;
        });
    }

    /** Tells the thread's watchers of a run that just started. */
    public void started(ActiveRun run) {
        Set<Consumer<ActiveRun>> set = watchers.get(run.threadId());
        if (set != null) {
            set.forEach(watcher -> watcher.accept(run));
        }
    }

    /** The threads someone here watches, now. */
    public Set<ThreadId> watched() {
        return Set.copyOf(watchers.keySet());
    }

    /** Whether anyone here watches the thread. */
    public boolean isWatched(ThreadId thread) {
        return watchers.containsKey(thread);
    }

    /** How many threads are watched (for leak checks). */
    public int watchedThreads() {
        return watchers.size();
    }
}
