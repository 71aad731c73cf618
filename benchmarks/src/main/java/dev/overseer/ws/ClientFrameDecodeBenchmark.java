package dev.overseer.ws;

import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The per-frame work of the WebSocket transport before a frame reaches the core: decoding it with the
 * real (package-private) {@link ClientFrameDecoder}, and recording the frame's handling time the way
 * {@link WebSocketMetrics#frameHandled} does for every frame. In package dev.overseer.ws to reach both.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClientFrameDecodeBenchmark {
    private final ClientFrameDecoder decoder = new ClientFrameDecoder();
    private final WebSocketMetrics metrics = new WebSocketMetrics(
            new OverseerMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), new ConnectionRegistry());
    private final String startAgent = "{\"type\":\"start_agent\",\"content\":\"What is 6*7?\"}";
    private final String startAgentWithIds = "{\"type\":\"start_agent\",\"content\":\"What is 6*7?\","
            + "\"thread_id\":\"thr_01jf7k2d3e4f5g6h7j8k9m0n1p\",\"request_id\":\"req-42\"}";
    private final String ping = "{\"type\":\"ping\"}";
    private final String broken = "{\"type\":\"start_agent\",\"content\":";

    @Benchmark
    public Object startAgent() {
        return decode(startAgent);
    }

    @Benchmark
    public Object startAgentWithIds() {
        return decode(startAgentWithIds);
    }

    @Benchmark
    public Object ping() {
        return decode(ping);
    }

    /** The error path: invalid JSON becomes a FrameError (no stack trace is filled in). */
    @Benchmark
    public Object invalidJson() {
        return decode(broken);
    }

    /** What the handler records after every frame: a Timer looked up by name and tag, then updated. */
    @Benchmark
    public void frameHandledMetric() {
        metrics.frameHandled("start_agent", 12_345);
    }

    private Object decode(String text) {
        try {
            return decoder.decode(text);
        } catch (FrameError e) {
            return e;
        }
    }
}
