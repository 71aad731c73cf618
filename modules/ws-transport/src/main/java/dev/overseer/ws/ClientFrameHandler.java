package dev.overseer.ws;

import dev.overseer.context.InvalidIdException;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.WebSocketContext;
import dev.overseer.core.event.RunEventListener;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.run.RunRejectedException;
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
        try {
            handleText(text);
        } finally {
            MDC.remove("connection_id");
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
            metrics.frameHandled(typeOf(frame), System.nanoTime() - started);
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
            }
        } catch (InvalidIdException e) {
            sendError("invalid_message", e.getMessage(), frame.requestId());
        } catch (RunRejectedException e) {
            metrics.error(e.reason().wire());
            outbox.send(ServerFrames.rejected(e, frame.requestId()));
        } catch (RuntimeException e) {
            LOG.error("frame on {} failed", context.connectionId(), e);
            sendError("internal", "internal error", frame.requestId());
        }
    }

    private void sendError(String code, String message, String requestId) {
        metrics.error(code);
        outbox.send(ServerFrames.error(code, message, requestId));
    }

    private static String typeOf(ClientFrame frame) {
        return switch (frame) {
            case ClientFrame.StartAgent start -> "start_agent";
            case ClientFrame.CancelRun cancel -> "cancel_run";
            case ClientFrame.Resume resume -> "resume";
            case ClientFrame.Subscribe subscribe -> "subscribe";
            case ClientFrame.Ping ping -> "ping";
        };
    }

    private void startAgent(ClientFrame.StartAgent start) {
        boolean newThread = start.threadId() == null;
        ThreadId threadId = newThread ? ThreadId.generate() : ThreadId.parse(start.threadId());
        String idempotencyKey = start.requestId() == null ? null : IDEMPOTENCY_PREFIX + start.requestId();
        RunId runId = RunId.generate();
        starting.add(runId);
        CompletableFuture<AcceptedRun> stored;
        try {
            stored = runs.startAsync(context.executionContext(threadId, runId),
                    new RunStart(start.content(), start.agent(), newThread, idempotencyKey));
        } catch (RuntimeException e) {
            starting.remove(runId);
            throw e;
        }
        // The frame is handled; the run_accepted follows once the run is stored, while this connection's
        // next frames are already being answered.
        stored.whenComplete((run, failure) -> {
            starting.remove(runId);
            if (failure != null) {
                LOG.error("starting a run on {} failed", context.connectionId(), failure);
                sendError("internal", "internal error", start.requestId());
                return;
            }
            outbox.send(ServerFrames.runAccepted(start.requestId(), run.runId(), run.threadId()));
            try {
                if (run.live() != null) {
                    attach(run.live(), 0);
                } else {
                    follow(run.runId(), 0);
                }
            } catch (RuntimeException e) {
                LOG.error("following run {} on {} failed", run.runId(), context.connectionId(), e);
                sendError("internal", "internal error", start.requestId());
            }
        });
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
