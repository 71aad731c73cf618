package dev.overseer.core.supervisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.overseer.context.ExecutionContext;
import dev.overseer.context.MessageId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.model.ConversationItem;
import dev.overseer.core.model.ModelException;
import dev.overseer.core.model.ModelMetrics;
import dev.overseer.core.model.ModelReply;
import dev.overseer.core.model.ModelRequest;
import dev.overseer.core.model.TextStream;
import dev.overseer.core.model.TokenUsage;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.run.Approvals;
import dev.overseer.core.run.RunLifecycle;
import dev.overseer.core.store.ApprovalDecision;
import dev.overseer.core.store.MessageRecord;
import dev.overseer.core.store.PendingApproval;
import dev.overseer.core.store.MessageStore;
import dev.overseer.core.store.RunAdmission;
import dev.overseer.core.store.RunFinish;
import dev.overseer.core.store.RunPositions;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.RunStatus;
import dev.overseer.core.store.ThreadRecord;
import dev.overseer.core.tool.ToolCall;
import dev.overseer.core.tool.ToolContext;
import dev.overseer.core.tool.ToolDispatcher;
import dev.overseer.core.tool.ToolOutcome;
import dev.overseer.core.tool.ToolSpec;
import dev.overseer.core.trace.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one turn of one agent for one caller: stores the user's message and the run, runs the agent
 * step by step (delegating to sub-agents when the model asks), emits the run's events, and stores the
 * outcome. Created per run by {@link SupervisorFactory}; it holds that run's conversation and tool
 * dispatchers and nothing shared.
 */
public final class Supervisor {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    private static final String INTERRUPTED = "the server stopped while this run was active";

    private final ExecutionContext context;
    private final Agent agent;
    private final ChatModel model;
    private final ToolDispatcher tools;
    private final Function<Agent, ToolDispatcher> dispatchers;
    private final AgentCatalog agents;
    private final MessageStore messages;
    private final RunLifecycle lifecycle;
    private final AgentSettings settings;
    private final Clock clock;
    private final ActiveRun stream;
    private final Approvals approvals;
    private final Tracing tracing;
    private final ModelMetrics modelMetrics;
    private Span runSpan = Span.getInvalid();
    private final StringBuilder partialOutput = new StringBuilder();
    private String content;
    private Instant acceptedAt;
    private Instant startedAt;
    private TokenUsage usage;
    private int seq;

    Supervisor(ExecutionContext context, Agent agent, ChatModel model, ToolDispatcher tools,
            Function<Agent, ToolDispatcher> dispatchers, AgentCatalog agents, MessageStore messages,
            RunLifecycle lifecycle, AgentSettings settings, Clock clock, Approvals approvals, Tracing tracing,
            ModelMetrics modelMetrics) {
        this.context = context;
        this.agent = agent;
        this.model = model;
        this.tools = tools;
        this.dispatchers = dispatchers;
        this.agents = agents;
        this.messages = messages;
        this.lifecycle = lifecycle;
        this.settings = settings;
        this.clock = clock;
        this.approvals = approvals;
        this.tracing = tracing;
        this.modelMetrics = modelMetrics;
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
     * What admitting this run stores: the user's message and the queued run on the thread (and the thread
     * itself when {@code newThread}), with the idempotency key, if any. The run starts its clock here.
     */
    public RunAdmission admission(String content, boolean newThread, String idempotencyKey, String fingerprint) {
        Instant now = clock.instant();
        this.content = content;
        this.acceptedAt = now;
        ThreadId threadId = context.threadId();
        ThreadRecord thread = newThread
                ? new ThreadRecord(threadId, context.userId(), null, "{}", now, now)
                : null;
        RunRecord run = new RunRecord(context.runId(), threadId, context.userId(), agent.name(), RunStatus.QUEUED,
                context.origin().label(), now, null, null, null, null, null, null);
        MessageRecord message = new MessageRecord(MessageId.generate(), threadId, context.runId(),
                MessageRecord.Role.USER, content, now);
        return new RunAdmission(thread, run, RunPositions.next(now), message, idempotencyKey, fingerprint);
    }

    /**
     * Runs the agent to its end on the calling thread; every path ends in exactly one terminal event. The run's span
     * is current meanwhile, so that model steps and tool calls nest under it.
     */
    public void execute() {
        runSpan = tracing.startRun(context, agent.name());
        try (Scope scope = runSpan.makeCurrent()) {
            executeTraced();
        } finally {
            runSpan.end();
        }
    }

    private void executeTraced() {
        ActiveRun.StopReason stoppedEarly = lifecycle.attach(stream, Thread.currentThread());
        if (stoppedEarly != null) {
            finishStopped(stoppedEarly);
            return;
        }
        startedAt = clock.instant();
        lifecycle.started(context.runId(), startedAt);
        try {
            List<ConversationItem> conversation = new ArrayList<>();
            if (model.usesHistory()) {
                conversation.addAll(history());
            }
            conversation.add(new ConversationItem.UserText(content));
            String output = runAgent(agent, null, conversation, tools, true);
            finish(RunStatus.COMPLETED, output, null, null);
        } catch (InterruptedException e) {
            Thread.interrupted();
            finishStopped(lifecycle.stopReasonOf(stream));
        } catch (ModelException e) {
            emit(agent.name(), new EventPayload.AgentError(e.code(), e.getMessage()));
            finish(RunStatus.FAILED, null, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("run {} failed", context.runId(), e);
            emit(agent.name(), new EventPayload.AgentError("internal", "internal error"));
            finish(RunStatus.FAILED, null, "internal", "internal error");
        }
    }

    /** One agent's loop: ask the model, call tools or delegate, until it answers or runs out of steps. */
    private String runAgent(Agent current, String parent, List<ConversationItem> conversation,
            ToolDispatcher dispatcher, boolean topLevel) throws ModelException, InterruptedException {
        emit(current.name(), new EventPayload.AgentStarted(parent));
        // The top-level agent's text doubles as the partial output a stopped run keeps.
        StringBuilder spoken = topLevel ? partialOutput : new StringBuilder();
        List<ToolSpec> specs = dispatcher.specs();
        for (int step = 1; step <= settings.maxSteps(); step++) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            ModelRequest request = new ModelRequest(current.name(), current.model(), current.systemPrompt(),
                    conversation, specs);
            ModelReply reply = callModel(request, new TextStream() {
                        @Override
                        public void delta(String text) {
                            spoken.append(text);
                            emit(current.name(), new EventPayload.AgentMessageDelta(text));
                }

                @Override
                public boolean stopRequested() {
                    return lifecycle.stopReasonOf(stream) != null;
                }
            });
            usage = reply.usage() == null ? usage : (usage == null ? reply.usage() : usage.plus(reply.usage()));
            if (reply.thinking() != null) {
                emit(current.name(), new EventPayload.AgentThinking(reply.thinking()));
            }
            switch (reply) {
                case ModelReply.Answer answer -> {
                    // What the agent streamed over all its steps is its output; a model that does not
                    // stream (the offline one) answers in one piece.
                    String output = spoken.isEmpty() ? answer.text() : spoken.toString();
                    emit(current.name(), new EventPayload.AgentCompleted(output));
                    return output;
                }
                case ModelReply.CallTools calls -> {
                    conversation.add(new ConversationItem.AssistantToolCalls(calls.text(), calls.calls()));
                    for (ToolCall call : calls.calls()) {
                        boolean delegation = current.delegates().contains(call.tool());
                        ApprovalDecision approval = current.requiresApproval(call.tool())
                                && (delegation || dispatcher.has(call.tool())) ? askApproval(current, call) : null;
                        ToolOutcome outcome;
                        if (approval != null && !approval.approved()) {
                            outcome = new ToolOutcome(call, NullNode.getInstance(), rejection(approval), 0);
                        } else {
                            emit(current.name(), new EventPayload.ToolExecuting(call.id(), call.tool(), call.arguments()));
                            outcome = callTool(current, call, delegation, dispatcher);
                        }
                        emit(current.name(), new EventPayload.ToolCompleted(call.id(), call.tool(), outcome.result(),
                                outcome.durationMs(), outcome.error()));
                        conversation.add(new ConversationItem.ToolResult(outcome));
                    }
                }
            }
        }
        throw new ModelException("max_steps", "the agent did not answer within " + settings.maxSteps() + " steps");
    }

    /** One model step: traced as GenAI's {@code chat} span, and timed with its tokens counted by model. */
    private ModelReply callModel(ModelRequest request, TextStream text) throws ModelException, InterruptedException {
        String name = model.modelName(request);
        Span span = tracing.startModelCall(model.provider(), name);
        long started = System.nanoTime();
        ModelMetrics.Outcome outcome = ModelMetrics.Outcome.ERROR;
        TokenUsage used = null;
        try {
            ModelReply reply = model.next(request, text);
            outcome = ModelMetrics.Outcome.OK;
            used = reply.usage();
            Tracing.usage(span, used);
            return reply;
        } catch (ModelException e) {
            Tracing.failed(span, e.code(), e.getMessage());
            throw e;
        } catch (InterruptedException e) {
            outcome = ModelMetrics.Outcome.CANCELLED;
            Tracing.failed(span, "cancelled", "the run was stopped");
            throw e;
        } finally {
            modelMetrics.call(name, outcome, System.nanoTime() - started, used);
            span.end();
        }
    }

    /** One tool call or delegation, traced as GenAI's {@code execute_tool} span, under which a sub-agent's steps nest. */
    private ToolOutcome callTool(Agent current, ToolCall call, boolean delegation, ToolDispatcher dispatcher)
            throws InterruptedException {
        Span span = tracing.startToolCall(call.tool(), call.id(), delegation);
        try (Scope scope = span.makeCurrent()) {
            ToolOutcome outcome = delegation
                    ? delegate(current, call)
                    : dispatcher.dispatch(call, new ToolContext(context.userId(),
                            (progress, total, message) -> emit(current.name(),
                                    new EventPayload.ToolProgress(call.id(), progress, total, message))));
            if (outcome.failed()) {
                Tracing.failed(span, "tool_error", "the tool call failed");
            }
            return outcome;
        } catch (InterruptedException e) {
            Tracing.failed(span, "cancelled", "the run was stopped");
            throw e;
        } finally {
            span.end();
        }
    }

    /**
     * Asks the run's user to approve the call and waits, as {@code requires_action}, for the answer, the approval
     * timeout, or a cancel (which interrupts the wait). The run's own timeout does not run meanwhile.
     */
    private ApprovalDecision askApproval(Agent current, ToolCall call) throws InterruptedException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        PendingApproval request = new PendingApproval(context.runId(), call.id(), call.tool(), call.arguments(), now,
                now.plus(settings.approvalTimeout()));
        RunEvent requested = next(current.name(),
                new EventPayload.ApprovalRequested(call.id(), call.tool(), call.arguments(), request.expiresAt()));
        ApprovalDecision decision;
        lifecycle.pauseClock(stream, true);
        Span span = tracing.startApproval(call.tool(), call.id());
        try {
            decision = approvals.ask(request, () -> lifecycle.requestApproval(stream, requested, request));
            span.setAttribute("overseer.approval.approved", decision.approved());
            span.setAttribute("overseer.approval.by", decision.by());
        } finally {
            span.end();
            lifecycle.pauseClock(stream, false);
        }
        emit(current.name(), new EventPayload.ApprovalResolved(call.id(), decision.approved(), decision.reason(),
                decision.by()));
        return decision;
    }

    /** What the model is told of a rejected call. */
    private String rejection(ApprovalDecision decision) {
        if (decision.reason() != null) {
            return "rejected: " + decision.reason();
        }
        return ApprovalDecision.BY_TIMEOUT.equals(decision.by())
                ? "rejected: nobody approved the call within " + settings.approvalTimeout().toSeconds() + " s"
                : "rejected: the user gave no reason";
    }

    /** Runs a sub-agent on the task the model gave it; its failure is the tool's error, not the run's. */
    private ToolOutcome delegate(Agent parent, ToolCall call) throws InterruptedException {
        long started = System.nanoTime();
        Agent sub = agents.find(call.tool()).orElseThrow();
        JsonNode task = call.arguments().get("task");
        if (task == null || !task.isTextual() || task.asText().isBlank()) {
            return new ToolOutcome(call, NullNode.getInstance(), "'task' must be a non-empty string", 0);
        }
        List<ConversationItem> conversation = new ArrayList<>();
        conversation.add(new ConversationItem.UserText(task.asText()));
        try {
            String output = runAgent(sub, parent.name(), conversation, dispatchers.apply(sub), false);
            return new ToolOutcome(call, TextNode.valueOf(output), null, elapsedMillis(started));
        } catch (ModelException e) {
            emit(sub.name(), new EventPayload.AgentError(e.code(), e.getMessage()));
            return new ToolOutcome(call, NullNode.getInstance(), "agent '" + sub.name() + "' failed: " + e.getMessage(),
                    elapsedMillis(started));
        }
    }

    /** The thread's earlier messages, newest kept first, within the history budget, oldest first. */
    private List<ConversationItem> history() {
        List<ConversationItem> history = new ArrayList<>();
        int budget = settings.historyChars();
        for (MessageRecord message : messages.recent(context.threadId(), context.runId(), 200)) {
            budget -= message.content().length();
            if (budget < 0) {
                break;
            }
            history.add(0, message.role() == MessageRecord.Role.USER
                    ? new ConversationItem.UserText(message.content())
                    : new ConversationItem.AssistantText(message.content()));
        }
        return history;
    }

    private void finishStopped(ActiveRun.StopReason reason) {
        String partial = partialOutput.isEmpty() ? null : partialOutput.toString();
        if (reason == ActiveRun.StopReason.CANCELLED) {
            finish(RunStatus.CANCELLED, partial, null, null);
        } else if (reason == ActiveRun.StopReason.TIMEOUT) {
            String message = "the run did not finish within " + settings.runTimeout().toSeconds() + " s";
            emit(agent.name(), new EventPayload.AgentError("run_timeout", message));
            finish(RunStatus.FAILED, partial, "run_timeout", message);
        } else {
            finish(RunStatus.FAILED, partial, "interrupted", INTERRUPTED);
        }
    }

    private void emit(String agentName, EventPayload payload) {
        lifecycle.emit(stream, next(agentName, payload));
    }

    /** The run's next event. */
    private RunEvent next(String agentName, EventPayload payload) {
        return RunEvent.encode(context.runId(), context.threadId(), ++seq, clock.instant(), agentName, payload);
    }

    private void finish(RunStatus status, String output, String errorCode, String errorMessage) {
        ActiveRun.StopReason stop = lifecycle.beginFinishing(stream);
        // A stop that raced the end of the run: its interrupt must not cut the wait for durability, and the
        // caller who asked for it gets the outcome they were promised.
        Thread.interrupted();
        if (stop != null && status == RunStatus.COMPLETED) {
            boolean cancelled = stop == ActiveRun.StopReason.CANCELLED;
            status = cancelled ? RunStatus.CANCELLED : RunStatus.FAILED;
            errorCode = switch (stop) {
                case CANCELLED -> null;
                case TIMEOUT -> "run_timeout";
                case SHUTDOWN -> "interrupted";
            };
            errorMessage = switch (stop) {
                case CANCELLED -> null;
                case TIMEOUT -> "the run did not finish within " + settings.runTimeout().toSeconds() + " s";
                case SHUTDOWN -> INTERRUPTED;
            };
        }
        Tracing.runEnded(runSpan, status.wire(), errorCode, errorMessage);
        Instant now = clock.instant();
        EventPayload terminal = switch (status) {
            case COMPLETED -> new EventPayload.RunCompleted(output, usage);
            case CANCELLED -> new EventPayload.RunCancelled();
            default -> new EventPayload.RunFailed(errorCode, errorMessage);
        };
        RunEvent event = RunEvent.encode(context.runId(), context.threadId(), ++seq, now, agent.name(), terminal);
        MessageId answer = status == RunStatus.COMPLETED && output != null ? MessageId.generate() : null;
        // The run as the database has it after the finish: times in milliseconds; never started counts as
        // started when it finished.
        RunRecord stored = new RunRecord(context.runId(), context.threadId(), context.userId(), agent.name(), status,
                context.origin().label(), millis(acceptedAt), millis(startedAt == null ? now : startedAt), millis(now),
                output, errorCode, errorMessage, usage);
        lifecycle.finish(stream, event, new RunFinish(context.runId(), context.threadId(), status, now, output,
                errorCode, errorMessage, answer, usage), stored, Duration.between(acceptedAt, now));
    }

    private static Instant millis(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS);
    }

    private static long elapsedMillis(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
