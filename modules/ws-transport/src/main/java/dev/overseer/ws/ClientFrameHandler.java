package dev.overseer.ws;

import dev.overseer.context.InvalidIdException;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.WebSocketContext;
import dev.overseer.context.ExecutionContext;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.event.RunEventListener;
import dev.overseer.core.json.Json;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.run.RunRejectedException;
import dev.overseer.core.run.RunRejectedException.Reason;
import dev.overseer.core.store.DatabaseOutage;
import dev.overseer.core.supervisor.AcceptedRun;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.core.supervisor.RunStart;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Answers the frames of one connection. Runs execute elsewhere; this only starts, cancels and follows
 * them, so the connection keeps answering while its runs stream. Every error is a frame; none closes
 * the socket.
 */
@ConnectionScope
public final class ClientFrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ClientFrameHandler.class);
    /** WebSocket request ids and HTTP idempotency keys live in separate key spaces. */
    static final String IDEMPOTENCY_PREFIX = "ws:";
    private static final Executor ADMISSION = task -> Thread.ofVirtual().name("ws-admission").start(task);

    private final WebSocketContext context;
    private final ConnectionOutbox outbox;
    private final ClientFrameDecoder decoder;
    private final RunService runs;
    private final Clock clock;
    private final WebSocketMetrics metrics;
    private final RunEventListener toClient;
    private final Map<RunId, ActiveRun> following = new ConcurrentHashMap<>();
    /** Runs this connection is starting right now: it follows them itself, after its run_accepted. */
    private final Set<RunId> starting = ConcurrentHashMap.newKeySet();
    private final List<Runnable> threadWatches = new ArrayList<>();
    /** This connection's admissions, one after the other; only the connection's ordered executor extends it. */
    private CompletableFuture<Void> admissions = CompletableFuture.completedFuture(null);

    @Inject
    ClientFrameHandler(WebSocketContext context, ConnectionOutbox outbox, ClientFrameDecoder decoder, RunService runs,
            Clock clock, WebSocketMetrics metrics) {
        this.context = context;
        this.outbox = outbox;
        this.decoder = decoder;
        this.runs = runs;
        this.clock = clock;
        this.metrics = metrics;
        this.toClient = event -> {
            outbox.send(event.json());
            if (event.terminal()) {
                following.remove(event.runId());
            }
        };
    }

    /** Handles one text frame from the client. */
    public void onText(String text) {
        MDC.put("connection_id", context.connectionId().value());
        MDC.put("user_id", context.userId().value());
        try {
            handleText(text);
        } finally {
            MDC.remove("connection_id");
            MDC.remove("user_id");
        }
    }

    private void handleText(String text) {
        long started = System.nanoTime();
        context.touch(clock.instant());
        ClientFrame frame;
        try {
            frame = decoder.decode(text);
        } catch (FrameError e) {
            sendError(e.code(), e.getMessage(), e.requestId());
            metrics.frameHandled("invalid", System.nanoTime() - started);
            return;
        }
        try {
            handle(frame);
        } finally {
            metrics.frameHandled(frame.type(), System.nanoTime() - started);
        }
    }

    private void handle(ClientFrame frame) {
        try {
            switch (frame) {
                case ClientFrame.Ping ping -> outbox.send(ServerFrames.pong(clock.instant()));
                case ClientFrame.StartAgent start -> startAgent(start);
                case ClientFrame.CancelRun cancel -> runs.cancel(context.userId(), RunId.parse(cancel.runId()));
                case ClientFrame.Resume resume -> follow(RunId.parse(resume.runId()), resume.afterSeq());
                case ClientFrame.Subscribe subscribe -> subscribe(ThreadId.parse(subscribe.threadId()));
                case ClientFrame.ApproveTool approve -> approve(approve);
            }
        } catch (InvalidIdException e) {
            sendError("invalid_message", e.getMessage(), frame.requestId());
        } catch (RuntimeException e) {
            answerFailure(e, frame.requestId(), "frame");
        }
    }

    /** The error frame for a request that failed: its refusal, unavailable while the database is, else internal. */
    private void answerFailure(RuntimeException failure, String requestId, String what) {
        RunRejectedException refusal = failure instanceof RunRejectedException rejected ? rejected
                : DatabaseOutage.isCause(failure) ? new RunRejectedException(Reason.UNAVAILABLE,
                        DatabaseOutage.MESSAGE, DatabaseOutage.RETRY_AFTER.toMillis())
                : null;
        if (refusal != null) {
            metrics.error(refusal.reason().wire());
            outbox.send(ServerFrames.rejected(refusal, requestId));
            return;
        }
        LOG.error("{} on {} failed", what, context.connectionId(), failure);
        sendError("internal", "internal error", requestId);
    }

    private void sendError(String code, String message, String requestId) {
        metrics.error(code);
        outbox.send(ServerFrames.error(code, message, requestId));
    }

    /**
     * Admits the start off the connection's thread, since admission waits for its transaction (ADR 0019),
     * and after this connection's earlier starts, so that run_accepted frames come in the order of the
     * starts. Frames that follow are answered meanwhile.
     */
    private void startAgent(ClientFrame.StartAgent start) {
        boolean newThread = start.threadId() == null;
        ThreadId threadId = newThread ? ThreadId.generate() : ThreadId.parse(start.threadId());
        String idempotencyKey = start.requestId() == null ? null : IDEMPOTENCY_PREFIX + start.requestId();
        RunId runId = RunId.generate();
        ExecutionContext execution = context.executionContext(threadId, runId);
        RunStart runStart = new RunStart(start.content(), start.agent(), newThread, idempotencyKey);
        starting.add(runId);
        admissions = admissions.thenRunAsync(() -> {
            MDC.put("connection_id", context.connectionId().value());
            try {
                admit(execution, runStart, start.requestId());
            } finally {
                MDC.remove("connection_id");
            }
        }, ADMISSION);
    }

    private void admit(ExecutionContext execution, RunStart start, String requestId) {
        AcceptedRun run;
        try {
            run = runs.start(execution, start);
        } catch (RuntimeException e) {
            starting.remove(execution.runId());
            answerFailure(e, requestId, "starting a run");
            return;
        }
        starting.remove(execution.runId());
        outbox.send(ServerFrames.runAccepted(requestId, run.runId(), run.threadId()));
        try {
            if (run.live() != null) {
                attach(run.live(), 0);
            } else {
                follow(run.runId(), 0);
            }
        } catch (RuntimeException e) {
            answerFailure(e, requestId, "following run " + run.runId().value());
        }
    }

    private void follow(RunId runId, int afterSeq) {
        Optional<ActiveRun> active = runs.active(context.userId(), runId);
        if (active.isPresent()) {
            attach(active.get(), afterSeq);
        } else {
            runs.follow(context.userId(), runId, afterSeq, toClient);
        }
    }

    private void subscribe(ThreadId threadId) {
        Runnable unwatch = runs.watchThread(context.userId(), threadId, run -> {
            if (!starting.contains(run.runId())) {
                attach(run, 0);
            }
        });
        synchronized (threadWatches) {
            threadWatches.add(unwatch);
        }
    }

    /**
     * Answers a waiting tool call. The answer to the client is the run's {@code approval_resolved} event: a connection
     * that follows the run gets it among the others; one that does not is sent that one event.
     */
    private void approve(ClientFrame.ApproveTool approve) {
        RunId run = RunId.parse(approve.runId());
        runs.approve(context.userId(), run, approve.toolCallId(), approve.approved(), approve.reason());
        if (!following.containsKey(run)) {
            AtomicBoolean sent = new AtomicBoolean();
            runs.follow(context.userId(), run, 0, event -> {
                if (event.type().equals("approval_resolved") && resolves(event, approve.toolCallId())
                        && sent.compareAndSet(false, true)) {
                    outbox.send(event.json());
                }
            });
        }
    }

    private static boolean resolves(RunEvent event, String toolCallId) {
        return Json.readTrusted(event.json()).path("payload").path("tool_call_id").asText().equals(toolCallId);
    }

    /** Follows a run from its start, once, however many reasons this connection has to follow it. */
    private void attach(ActiveRun run, int afterSeq) {
        if (following.putIfAbsent(run.runId(), run) == null && !run.subscribe(afterSeq, toClient)) {
            following.remove(run.runId());
        }
    }

    /** Called when the socket closed: stops following runs (they go on) and watching threads. */
    public void connectionClosed() {
        outbox.markClosed();
        following.values().forEach(run -> run.unsubscribe(toClient));
        following.clear();
        synchronized (threadWatches) {
            threadWatches.forEach(Runnable::run);
            threadWatches.clear();
        }
    }
}
