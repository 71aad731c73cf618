package dev.overseer.core.supervisor;

import dev.overseer.context.ExecutionContext;
import dev.overseer.context.MessageId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.model.ConversationItem;
import dev.overseer.core.model.ModelException;
import dev.overseer.core.model.ModelReply;
import dev.overseer.core.model.ModelRequest;
import dev.overseer.core.model.TextStream;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.run.RunLifecycle;
import dev.overseer.core.store.MessageRecord;
import dev.overseer.core.store.RunFinish;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.RunStatus;
import dev.overseer.core.store.RunStore;
import dev.overseer.core.store.ThreadRecord;
import dev.overseer.core.tool.ToolCall;
import dev.overseer.core.tool.ToolDispatcher;
import dev.overseer.core.tool.ToolOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one turn of one agent for one caller: stores the user's message and the run, runs the agent
 * step by step, emits the run's events, and stores the outcome. Created per run by
 * {@link SupervisorFactory}; it holds that run's conversation and tool dispatcher and nothing shared.
 */
public final class Supervisor {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    static final int MAX_STEPS = 8;

    private final ExecutionContext context;
    private final Agent agent;
    private final ChatModel model;
    private final ToolDispatcher tools;
    private final RunStore runs;
    private final RunLifecycle lifecycle;
    private final Clock clock;
    private final ActiveRun stream;
    private final List<ConversationItem> conversation = new ArrayList<>();
    private Instant acceptedAt;
    private int seq;

    Supervisor(ExecutionContext context, Agent agent, ChatModel model, ToolDispatcher tools, RunStore runs,
            RunLifecycle lifecycle, Clock clock) {
        this.context = context;
        this.agent = agent;
        this.model = model;
        this.tools = tools;
        this.runs = runs;
        this.lifecycle = lifecycle;
        this.clock = clock;
        this.stream = new ActiveRun(context.runId(), context.threadId(), context.userId());
    }

    public ExecutionContext context() {
        return context;
    }

    public Agent agent() {
        return agent;
    }

    /** The run's live event stream. */
    public ActiveRun stream() {
        return stream;
    }

    /**
     * Stores the user's message and the queued run on the thread (creating the thread first when
     * {@code newThread}), in one transaction that also makes this run the thread's only active run. A
     * taken idempotency key admits nothing.
     */
    public RunStore.Admission accept(String content, boolean newThread, String idempotencyKey, String fingerprint) {
        Instant now = clock.instant();
        acceptedAt = now;
        ThreadId threadId = context.threadId();
        ThreadRecord thread = newThread
                ? new ThreadRecord(threadId, context.userId(), null, "{}", null, now, now)
                : null;
        RunRecord run = new RunRecord(context.runId(), threadId, context.userId(), agent.name(), RunStatus.QUEUED,
                context.origin().label(), now, null, null, null, null, null);
        MessageRecord message = new MessageRecord(MessageId.generate(), threadId, context.runId(),
                MessageRecord.Role.USER, content, now);
        conversation.add(new ConversationItem.UserText(content));
        return runs.admit(thread, run, message, idempotencyKey, fingerprint);
    }

    /** Runs the agent to its end on the calling thread; every path ends in exactly one terminal event. */
    public void execute() {
        ActiveRun.StopReason stoppedEarly = lifecycle.attach(stream, Thread.currentThread());
        if (stoppedEarly != null) {
            finishStopped(stoppedEarly);
            return;
        }
        lifecycle.started(context.runId(), clock.instant());
        try {
            emit(new EventPayload.AgentStarted(null));
            for (int step = 1; step <= MAX_STEPS; step++) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                ModelReply reply = model.next(new ModelRequest(agent.name(), null, agent.systemPrompt(), conversation,
                        tools.tools()), TextStream.IGNORE);
                if (reply.thinking() != null) {
                    emit(new EventPayload.AgentThinking(reply.thinking()));
                }
                switch (reply) {
                    case ModelReply.Answer answer -> {
                        emit(new EventPayload.AgentCompleted(answer.text()));
                        finish(RunStatus.COMPLETED, answer.text(), null, null);
                        return;
                    }
                    case ModelReply.CallTools calls -> callTools(calls.calls());
                }
            }
            String message = "the agent did not answer within " + MAX_STEPS + " steps";
            emit(new EventPayload.AgentError("max_steps", message));
            finish(RunStatus.FAILED, null, "max_steps", message);
        } catch (InterruptedException e) {
            Thread.interrupted();
            finishStopped(lifecycle.stopReasonOf(stream));
        } catch (ModelException e) {
            emit(new EventPayload.AgentError(e.code(), e.getMessage()));
            finish(RunStatus.FAILED, null, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("run {} failed", context.runId(), e);
            emit(new EventPayload.AgentError("internal", "internal error"));
            finish(RunStatus.FAILED, null, "internal", "internal error");
        }
    }

    private void callTools(List<ToolCall> calls) throws InterruptedException {
        conversation.add(new ConversationItem.AssistantToolCalls(calls));
        for (ToolCall call : calls) {
            emit(new EventPayload.ToolExecuting(call.id(), call.tool(), call.arguments()));
            ToolOutcome outcome = tools.dispatch(call);
            emit(new EventPayload.ToolCompleted(call.id(), call.tool(), outcome.result(), outcome.durationMs(),
                    outcome.error()));
            conversation.add(new ConversationItem.ToolResult(outcome));
        }
    }

    private void finishStopped(ActiveRun.StopReason reason) {
        if (reason == ActiveRun.StopReason.SHUTDOWN || reason == null) {
            finish(RunStatus.FAILED, null, "interrupted", "the server stopped while this run was active");
        } else {
            finish(RunStatus.CANCELLED, null, null, null);
        }
    }

    private void emit(EventPayload payload) {
        RunEvent event = RunEvent.encode(context.runId(), context.threadId(), ++seq, clock.instant(), agent.name(),
                payload);
        lifecycle.emit(stream, event);
    }

    private void finish(RunStatus status, String output, String errorCode, String errorMessage) {
        ActiveRun.StopReason stop = lifecycle.beginFinishing(stream);
        // A stop that raced the end of the run: its interrupt must not cut the wait for durability, and the
        // caller who asked for it gets the outcome they were promised.
        Thread.interrupted();
        if (stop != null && status == RunStatus.COMPLETED) {
            boolean cancelled = stop == ActiveRun.StopReason.CANCELLED;
            status = cancelled ? RunStatus.CANCELLED : RunStatus.FAILED;
            output = null;
            errorCode = cancelled ? null : "interrupted";
            errorMessage = cancelled ? null : "the server stopped while this run was active";
        }
        Instant now = clock.instant();
        EventPayload terminal = switch (status) {
            case COMPLETED -> new EventPayload.RunCompleted(output);
            case CANCELLED -> new EventPayload.RunCancelled();
            default -> new EventPayload.RunFailed(errorCode, errorMessage);
        };
        RunEvent event = RunEvent.encode(context.runId(), context.threadId(), ++seq, now, agent.name(), terminal);
        MessageRecord answer = status == RunStatus.COMPLETED
                ? new MessageRecord(MessageId.generate(), context.threadId(), context.runId(),
                        MessageRecord.Role.ASSISTANT, output, now)
                : null;
        lifecycle.finish(stream, event, new RunFinish(context.runId(), context.threadId(), status, now, output,
                errorCode, errorMessage, answer), context.origin().label(), Duration.between(acceptedAt, now));
    }
}
