package dev.overseer.core.run;

import dev.overseer.context.RunId;
import dev.overseer.core.store.ApprovalDecision;
import dev.overseer.core.store.ApprovalStore;
import dev.overseer.core.store.NodeSignals;
import dev.overseer.core.store.PendingApproval;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Tool calls that wait for a person (SPEC §8, ADR 0024). The database decides which answer wins
 * ({@link ApprovalStore#resolve}); this node only wakes its own waiting runs, when an answer is given here or
 * another node announces one, and re-reads every waiting run when it starts listening again (an announcement may
 * have been lost meanwhile). A waiting run parks its virtual thread: it holds no platform thread.
 */
@Singleton
public final class Approvals {
    /** Where a waiting run's queries run: a cancel interrupts the run's wait for them, never the queries. */
    private static final Executor QUERIES = task -> Thread.ofVirtual().name("approval-query").start(task);

    private final Map<RunId, Semaphore> waiting = new ConcurrentHashMap<>();
    private final ApprovalStore store;
    private final Clock clock;

    @Inject
    public Approvals(ApprovalStore store, NodeSignals signals, Clock clock) {
        this.store = store;
        this.clock = clock;
        signals.on(NodeSignals.APPROVALS, run -> wake(RunId.parse(run)));
        signals.onListening(() -> waiting.values().forEach(Semaphore::release));
    }

    /**
     * Asks for the approval of a call and waits for the answer: {@code request} stores and publishes the request,
     * and from then on the run's user may answer it through {@link #answer}, on any node; at {@code expiresAt} it is
     * rejected by timeout. Cancelling the run interrupts the wait.
     */
    public ApprovalDecision ask(PendingApproval approval, Runnable request) throws InterruptedException {
        RunId run = approval.runId();
        Semaphore woken = new Semaphore(0);
        // Registered before the request is visible: an answer given the moment it is must wake this run.
        waiting.put(run, woken);
        try {
            request.run();
            // Every answer wakes the run (here directly, from another node by NOTIFY, after a lost NOTIFY by the
            // listener's reconnect); a woken run reads the decision, and a spurious wake costs one read.
            while (true) {
                long left = Duration.between(clock.instant(), approval.expiresAt()).toNanos();
                if (left > 0 && woken.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                    Optional<ApprovalDecision> decided = offRunThread(() -> store.decision(run, approval.toolCallId()));
                    if (decided.isPresent()) {
                        return decided.get();
                    }
                    continue;
                }
                ApprovalDecision timeout = new ApprovalDecision(false, null, ApprovalDecision.BY_TIMEOUT);
                if (offRunThread(() -> store.resolve(run, approval.toolCallId(), timeout, clock.instant()))) {
                    return timeout;
                }
                // Answered a moment ago; or, with no answer, the run no longer waits (another node failed it).
                return offRunThread(() -> store.decision(run, approval.toolCallId())).orElse(timeout);
            }
        } finally {
            waiting.remove(run, woken);
        }
    }

    /**
     * The answer of the run's user (the caller has checked that the run is theirs): true when it was the answer
     * that counted, false when the call was not waiting (answered already, timed out, or never asked).
     */
    public boolean answer(RunId run, String toolCallId, boolean approved, String reason) {
        boolean won = store.resolve(run, toolCallId, new ApprovalDecision(approved, reason, ApprovalDecision.BY_USER),
                clock.instant());
        if (won) {
            wake(run);
        }
        return won;
    }

    /** The call the run waits for, if it waits. */
    public Optional<PendingApproval> pending(RunId run) {
        return store.pending(run);
    }

    /**
     * Runs a query on a thread of its own and waits for it: an interrupt of a virtual thread in the middle of I/O
     * closes the socket of its database connection, or H2's file; a cancel must only end the wait.
     */
    private static <T> T offRunThread(Supplier<T> query) throws InterruptedException {
        try {
            return CompletableFuture.supplyAsync(query, QUERIES).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException failure ? failure : new IllegalStateException(e.getCause());
        }
    }

    private void wake(RunId run) {
        Semaphore woken = waiting.get(run);
        if (woken != null) {
            woken.release();
        }
    }
}
