package dev.overseer.core.supervisor;

import dev.overseer.context.ExecutionContext;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.event.RunEventListener;
import dev.overseer.core.metrics.OverseerMetrics;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.run.Approvals;
import dev.overseer.core.run.RemoteRuns;
import dev.overseer.core.run.RunLifecycle;
import dev.overseer.core.run.RunRegistry;
import dev.overseer.core.run.RunRejectedException;
import dev.overseer.core.run.RunRejectedException.Reason;
import dev.overseer.core.run.StartRateLimiter;
import dev.overseer.core.run.ThreadWatchers;
import dev.overseer.core.store.ApprovalStore;
import dev.overseer.core.store.EventStore;
import dev.overseer.core.store.EventWriter;
import dev.overseer.core.store.KeyedRun;
import dev.overseer.core.store.NodeSignals;
import dev.overseer.core.store.PendingApproval;
import dev.overseer.core.store.RunAdmission;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.RunStatus;
import dev.overseer.core.store.RunStore;
import dev.overseer.core.store.ThreadStore;
import io.micrometer.core.instrument.Gauge;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The supervisor core's front door for both transports: start a run, find it, read or follow its
 * events, cancel it. Every call names the caller; another user's run behaves as if it did not exist.
 */
@Singleton
public final class RunService {
    private static final Logger LOG = LoggerFactory.getLogger(RunService.class);
    private static final int MAX_EVENTS_PER_READ = 10_000;
    /** How long an idempotency key (a WebSocket request_id, an HTTP Idempotency-Key) finds its run. */
    public static final Duration IDEMPOTENCY_WINDOW = Duration.ofHours(24);

    private final SupervisorFactory supervisors;
    private final AgentCatalog agents;
    private final RunRegistry registry;
    private final RunStore runs;
    private final EventWriter writer;
    private final ThreadStore threads;
    private final EventStore events;
    private final ThreadWatchers watchers;
    private final RunLimits limits;
    private final AgentSettings agentSettings;
    private final RunLifecycle lifecycle;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().name("overseer-run-timeouts").daemon().factory());
    private final Clock clock;
    private final OverseerMetrics metrics;
    private final Map<String, CompletableFuture<Void>> startingKeys = new ConcurrentHashMap<>();
    private final StartRateLimiter rateLimiter;
    private final NodeSignals signals;
    private final RemoteRuns remote;
    private final Approvals approvals;
    private volatile boolean accepting = true;

    @Inject
    public RunService(SupervisorFactory supervisors, AgentCatalog agents, RunRegistry registry, RunStore runs,
            EventWriter writer, ThreadStore threads, EventStore events, ThreadWatchers watchers, RunLimits limits, AgentSettings agentSettings,
            RunLifecycle lifecycle, Clock clock, OverseerMetrics metrics, NodeSignals signals, RemoteRuns remote,
            Approvals approvals) {
        this.supervisors = supervisors;
        this.agents = agents;
        this.registry = registry;
        this.runs = runs;
        this.writer = writer;
        this.threads = threads;
        this.events = events;
        this.watchers = watchers;
        this.limits = limits;
        this.agentSettings = agentSettings;
        this.lifecycle = lifecycle;
        // Most runs end long before their timeout: drop the cancelled timers instead of keeping them queued.
        timer.setRemoveOnCancelPolicy(true);
        this.clock = clock;
        this.metrics = metrics;
        Gauge.builder("overseer.runs.active", registry, RunRegistry::activeCount)
                .description("Runs active in this process").register(metrics.registry());
        this.rateLimiter = new StartRateLimiter(limits.startsPerSecond(), limits.startBurst());
        this.signals = signals;
        this.remote = remote;
        this.approvals = approvals;
        signals.on(NodeSignals.CANCEL, this::cancelSignalled);
    }

    /**
     * Admits and starts a run for the caller and thread of {@code context}: one transaction claims the
     * thread and stores the run, the user's message and the idempotency key, and the run executes once it
     * has committed (ADR 0019), on its own virtual thread (it may already have ended when this returns);
     * follow it through {@link AcceptedRun#live}. A start whose idempotency key the caller already used
     * returns that earlier run ({@code repeated}) and starts nothing. Blocks for the admission transaction:
     * a transport whose thread must not wait calls it elsewhere.
     */
    public AcceptedRun start(ExecutionContext context, RunStart start) {
        if (start.idempotencyKey() == null) {
            return admit(context, start);
        }
        // Starts with one key are admitted one at a time in this process: a duplicate waits for the first
        // (one admission transaction) and then finds its run, instead of racing it for the user's run slots.
        String slot = context.userId().value() + '\n' + start.idempotencyKey();
        CompletableFuture<Void> mine = new CompletableFuture<>();
        for (CompletableFuture<Void> first; (first = startingKeys.putIfAbsent(slot, mine)) != null; ) {
            first.join();
        }
        try {
            return admit(context, start);
        } finally {
            startingKeys.remove(slot, mine);
            mine.complete(null);
        }
    }

    private AcceptedRun admit(ExecutionContext context, RunStart start) {
        String content = start.content();
        if (content == null || content.isBlank()) {
            throw new RunRejectedException(Reason.INVALID_MESSAGE, "content must be a non-blank string");
        }
        if (content.length() > limits.maxContentChars()) {
            throw new RunRejectedException(Reason.INVALID_MESSAGE,
                    "content is longer than " + limits.maxContentChars() + " characters");
        }
        String agentName = start.agent() == null ? AgentCatalog.DEFAULT_AGENT : start.agent();
        Agent agent = agents.find(agentName).orElseThrow(() -> new RunRejectedException(Reason.INVALID_MESSAGE,
                "unknown agent '" + agentName + "'"));
        UserId user = context.userId();
        String key = start.idempotencyKey();
        String fingerprint = key == null ? null : fingerprint(agentName, content);
        if (key != null) {
            Optional<KeyedRun> earlier = runs.findByIdempotencyKey(user, key);
            if (earlier.isPresent() && earlier.get().run().createdAt().isAfter(clock.instant().minus(IDEMPOTENCY_WINDOW))) {
                return repeated(earlier.get(), fingerprint);
            }
            earlier.ifPresent(expired -> runs.releaseIdempotencyKey(expired.run().id()));
        }
        if (!accepting) {
            throw new RunRejectedException(Reason.UNAVAILABLE, "the server is shutting down");
        }
        long waitMillis = rateLimiter.tryAcquire(user, System.nanoTime());
        if (waitMillis > 0) {
            throw new RunRejectedException(Reason.RATE_LIMITED, "too many runs started; retry in " + waitMillis + " ms",
                    waitMillis);
        }
        boolean launched = false;
        ActiveRun stream = null;
        try {
            Supervisor supervisor = supervisors.create(context, agent);
            stream = supervisor.stream();
            // Registered before it is stored: whoever finds this run by its idempotency key from then on (a
            // retry racing this start) must find its live stream too, not an empty stored history.
            registry.add(stream);
            // A start with the same key as one holding the thread never gets here: starts with one key are
            // admitted one at a time, and the later one finds the earlier by its key above.
            // Held before it is read, so that a deletion (which holds it too) cannot come in between.
            boolean held = registry.holdThread(stream);
            if (!start.newThread() && threads.find(user, context.threadId()).isEmpty()) {
                throw new RunRejectedException(Reason.NOT_FOUND, "thread not found");
            }
            if (!held) {
                throw new RunRejectedException(Reason.THREAD_BUSY, "the thread already has an active run");
            }
            RunAdmission admission = supervisor.admission(content, start.newThread(), key, fingerprint);
            switch (writer.admit(admission, limits.maxActiveRunsPerUser())) {
                case TOO_MANY_RUNS -> throw new RunRejectedException(Reason.TOO_MANY_RUNS,
                        "at most " + limits.maxActiveRunsPerUser() + " runs may be active at once");
                case THREAD_NOT_FOUND -> throw new RunRejectedException(Reason.NOT_FOUND, "thread not found");
                case THREAD_BUSY -> throw new RunRejectedException(Reason.THREAD_BUSY,
                        "the thread already has an active run");
                case DUPLICATE_KEY -> {
                    return repeated(runs.findByIdempotencyKey(user, key).orElseThrow(() -> new IllegalStateException(
                            "an idempotency key was taken by a run that is gone")), fingerprint);
                }
                case ADMITTED -> {
                    launch(context, supervisor);
                    launched = true;
                }
            }
            return accepted(context, stream);
        } finally {
            if (!launched && stream != null) {
                registry.withdraw(stream);
            }
        }
    }

    /** Runs the supervisor on its own virtual thread, stopped by the run timeout if it gets that far. */
    private void launch(ExecutionContext context, Supervisor supervisor) {
        ActiveRun run = supervisor.stream();
        AtomicReference<ScheduledFuture<?>> timeout = new AtomicReference<>();
        armTimeout(run, agentSettings.runTimeout().toNanos(), timeout);
        run.terminal().whenComplete((terminal, failure) -> timeout.get().cancel(false));
        Thread.ofVirtual().name("run-" + context.runId().value()).start(() -> {
            // What the run logs names it and its user (a virtual thread of its own: nothing to restore).
            MDC.put("run_id", context.runId().value());
            MDC.put("user_id", context.userId().value());
            supervisor.execute();
        });
    }

    /** Stops the run when its timeout clock runs out; time spent waiting for a person's approval moves the end. */
    private void armTimeout(ActiveRun run, long delayNanos, AtomicReference<ScheduledFuture<?>> timeout) {
        timeout.set(timer.schedule(() -> {
            long paused = run.takePausedNanos();
            if (paused > 0 && !run.terminal().isDone()) {
                armTimeout(run, paused, timeout);
            } else {
                run.stop(ActiveRun.StopReason.TIMEOUT);
            }
        }, delayNanos, TimeUnit.NANOSECONDS));
    }

    /** A stored, executing run: counted, and announced to its thread's watchers. */
    private AcceptedRun accepted(ExecutionContext context, ActiveRun run) {
        metrics.runStarted(context.origin().label());
        watchers.started(run);
        return new AcceptedRun(run.runId(), run.threadId(), false, true, run);
    }

    private static AcceptedRun repeated(KeyedRun earlier, String fingerprint) {
        return new AcceptedRun(earlier.run().id(), earlier.run().threadId(), true,
                fingerprint.equals(earlier.fingerprint()), null);
    }

    /** What a keyed start asked for: a retry asks for the same; a different request reusing the key does not. */
    private static String fingerprint(String agent, String content) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(agent.getBytes(StandardCharsets.UTF_8));
            sha256.update((byte) 0);
            sha256.update(content.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha256.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The caller's run, as stored. */
    public Optional<RunRecord> find(UserId user, RunId run) {
        return runs.find(user, run);
    }

    /**
     * The caller's active run: its live stream if this node runs it, else, when another node runs it, a mirror of
     * it fed from the database (ADR 0021).
     */
    public Optional<ActiveRun> active(UserId user, RunId run) {
        Optional<ActiveRun> local = registry.find(user, run);
        return local.isPresent() || !remote.othersMayRun() ? local : runs.find(user, run).flatMap(remote::follow);
    }

    /** The run's events with {@code seq > afterSeq}: live from memory while active, else from the database. */
    public List<RunEvent> events(UserId user, RunId run, int afterSeq) {
        Optional<ActiveRun> active = registry.find(user, run);
        if (active.isPresent()) {
            return active.get().eventsAfter(afterSeq);
        }
        RunRecord stored = runs.find(user, run)
                .orElseThrow(() -> new RunRejectedException(Reason.NOT_FOUND, "run not found"));
        return events.list(run, stored.threadId(), afterSeq, MAX_EVENTS_PER_READ);
    }

    /**
     * Sends the listener every event with {@code seq > afterSeq}, then the live ones until the terminal
     * event. Returns the live stream it now follows, or empty when the run had already finished (then
     * the replay came from the database and is complete).
     */
    public Optional<ActiveRun> follow(UserId user, RunId run, int afterSeq, RunEventListener listener) {
        Optional<ActiveRun> active = registry.find(user, run);
        if (active.isPresent() && active.get().subscribe(afterSeq, listener)) {
            return active;
        }
        if (active.isPresent()) {
            return Optional.empty();
        }
        RunRecord stored = runs.find(user, run)
                .orElseThrow(() -> new RunRejectedException(Reason.NOT_FOUND, "run not found"));
        // Another node runs it: follow its mirror, which holds every event stored so far.
        Optional<ActiveRun> remoteRun = remote.follow(stored);
        if (remoteRun.isPresent()) {
            return remoteRun.get().subscribe(afterSeq, listener) ? remoteRun : Optional.empty();
        }
        // The run may have finished between the registry look-up and now; its events are durable by then.
        for (RunEvent event : events.list(run, stored.threadId(), afterSeq, MAX_EVENTS_PER_READ)) {
            listener.onEvent(event);
        }
        return Optional.empty();
    }

    /**
     * Calls {@code onRun} for every run started on the caller's thread from now on, whoever starts it.
     * Returns the handle that ends the watch.
     */
    public Runnable watchThread(UserId user, ThreadId thread, Consumer<ActiveRun> onRun) {
        if (threads.find(user, thread).isEmpty()) {
            throw new RunRejectedException(Reason.NOT_FOUND, "thread not found");
        }
        return watchers.watch(thread, onRun);
    }

    /**
     * Asks the caller's active run to stop; it ends with {@code run_cancelled}. A run that another node runs is
     * stopped by that node, told through the database ({@link NodeSignals#CANCEL}).
     */
    public void cancel(UserId user, RunId run) {
        Optional<ActiveRun> active = registry.find(user, run);
        if (active.isPresent() && active.get().stop(ActiveRun.StopReason.CANCELLED)) {
            return;
        }
        if (active.isEmpty()) {
            RunRecord stored = runs.find(user, run)
                    .orElseThrow(() -> new RunRejectedException(Reason.NOT_FOUND, "run not found"));
            if (stored.status().active() && signals.send(NodeSignals.CANCEL, run.value())) {
                return;
            }
        }
        throw new RunRejectedException(Reason.RUN_NOT_ACTIVE, "the run has already finished");
    }

    /**
     * The answer of the run's user to one of its tool calls waiting for approval, from any connection of any node;
     * returns the run as stored after it. Refused with {@code approval_not_pending} when that call is not waiting.
     */
    public RunRecord approve(UserId user, RunId run, String toolCallId, boolean approved, String reason) {
        if (toolCallId.length() > ApprovalStore.MAX_TOOL_CALL_ID) {
            throw new RunRejectedException(Reason.INVALID_MESSAGE,
                    "tool_call_id is longer than " + ApprovalStore.MAX_TOOL_CALL_ID + " characters");
        }
        if (reason != null && reason.length() > ApprovalStore.MAX_REASON) {
            throw new RunRejectedException(Reason.INVALID_MESSAGE,
                    "reason is longer than " + ApprovalStore.MAX_REASON + " characters");
        }
        runs.find(user, run).orElseThrow(() -> new RunRejectedException(Reason.NOT_FOUND, "run not found"));
        if (!approvals.answer(run, toolCallId, approved, reason)) {
            throw new RunRejectedException(Reason.APPROVAL_NOT_PENDING,
                    "tool call '" + toolCallId + "' of this run is not waiting for approval");
        }
        return runs.find(user, run).orElseThrow(() -> new RunRejectedException(Reason.NOT_FOUND, "run not found"));
    }

    /** The tool call the run waits for, if it is {@code requires_action}. */
    public Optional<PendingApproval> pendingApproval(RunRecord run) {
        return run.status() == RunStatus.REQUIRES_ACTION ? approvals.pending(run.id()) : Optional.empty();
    }

    /** A cancel sent by another node: the run stops here if this node runs it. */
    private void cancelSignalled(String runId) {
        registry.get(RunId.parse(runId)).ifPresent(run -> run.stop(ActiveRun.StopReason.CANCELLED));
    }

    /**
     * Deletes the caller's thread with its messages, runs and events, unless a run holds it (the run is
     * still writing; cancel it first) or a start is claiming it right now.
     */
    public ThreadStore.Deletion deleteThread(UserId user, ThreadId thread) {
        if (!registry.beginDeletion(thread)) {
            return threads.find(user, thread).isPresent() ? ThreadStore.Deletion.BUSY : ThreadStore.Deletion.NOT_FOUND;
        }
        try {
            return threads.delete(user, thread);
        } finally {
            registry.endDeletion(thread);
        }
    }

    /** How many runs are active in this process. */
    public int activeRuns() {
        return registry.activeCount();
    }

    /**
     * Stops admitting runs, lets active ones finish for up to the grace period, then stops the rest, which
     * end as failed with code {@code interrupted}. Returns when every run has ended.
     */
    public void shutdown() {
        accepting = false;
        long deadline = System.nanoTime() + limits.shutdownGrace().toNanos();
        waitForRuns(deadline);
        List<ActiveRun> left = List.copyOf(registry.all());
        if (!left.isEmpty()) {
            LOG.warn("stopping {} runs still active after the shutdown grace period", left.size());
            left.forEach(run -> run.stop(ActiveRun.StopReason.SHUTDOWN));
            waitForRuns(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        }
        timer.shutdownNow();
    }

    private void waitForRuns(long deadlineNanos) {
        for (ActiveRun run : registry.all()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                run.terminal().get(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (TimeoutException e) {
                return;
            } catch (ExecutionException e) {
                LOG.warn("run {} ended abnormally during shutdown", run.runId(), e.getCause());
            }
        }
    }
}
