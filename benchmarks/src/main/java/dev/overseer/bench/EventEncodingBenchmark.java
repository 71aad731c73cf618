package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.LongNode;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.json.Json;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/** Encoding run events ({@link RunEvent#encode}): once per event, on the run's thread, before it is sent and stored. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EventEncodingBenchmark {
    private final RunId runId = RunId.generate();
    private final ThreadId threadId = ThreadId.generate();
    private final Instant timestamp = Instant.parse("2026-11-28T10:00:00.123Z");
    private final EventPayload started = new EventPayload.AgentStarted(null);
    private final EventPayload thinking = new EventPayload.AgentThinking("Calculating 6*7 with the calculator tool.");
    private final EventPayload executing = new EventPayload.ToolExecuting("call_1", "calculator",
            Json.object().put("expression", "6*7"));
    private final EventPayload toolCompleted = new EventPayload.ToolCompleted("call_1", "calculator",
            LongNode.valueOf(42), 0, null);
    private final EventPayload agentCompleted = new EventPayload.AgentCompleted("6*7 = 42");
    private final EventPayload runCompleted = new EventPayload.RunCompleted("6*7 = 42");

    @Benchmark
    public RunEvent toolCompleted() {
        return RunEvent.encode(runId, threadId, 4, timestamp, "supervisor", toolCompleted);
    }

    @Benchmark
    public RunEvent runCompleted() {
        return RunEvent.encode(runId, threadId, 6, timestamp, "supervisor", runCompleted);
    }

    /** The six events of one "What is 6*7?" run. */
    @Benchmark
    public void wholeRun(Blackhole sink) {
        sink.consume(RunEvent.encode(runId, threadId, 1, timestamp, "supervisor", started));
        sink.consume(RunEvent.encode(runId, threadId, 2, timestamp, "supervisor", thinking));
        sink.consume(RunEvent.encode(runId, threadId, 3, timestamp, "supervisor", executing));
        sink.consume(RunEvent.encode(runId, threadId, 4, timestamp, "supervisor", toolCompleted));
        sink.consume(RunEvent.encode(runId, threadId, 5, timestamp, "supervisor", agentCompleted));
        sink.consume(RunEvent.encode(runId, threadId, 6, timestamp, "supervisor", runCompleted));
    }

    /** The timestamp alone (RFC 3339 with milliseconds), part of every event. */
    @Benchmark
    public String timestamp() {
        return Json.timestamp(timestamp);
    }
}
