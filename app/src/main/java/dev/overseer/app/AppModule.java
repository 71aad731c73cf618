package dev.overseer.app;

import dagger.Module;
import dagger.Provides;
import dev.overseer.core.auth.JwtSecret;
import dev.overseer.core.auth.TokenSettings;
import dev.overseer.core.llm.LlmSettings;
import dev.overseer.core.store.DatabaseSettings;
import dev.overseer.core.store.NodeLease;
import dev.overseer.core.mcp.McpSettings;
import dev.overseer.core.supervisor.AgentDefinitions;
import dev.overseer.core.supervisor.AgentSettings;
import dev.overseer.core.supervisor.RunLimits;
import dev.overseer.core.auth.CorsPolicy;
import dev.overseer.http.HttpSettings;
import dev.overseer.http.MetricsExposition;
import dev.overseer.http.UnauthenticatedConnections;
import dev.overseer.ws.WebSocketSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.undertow.Undertow;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.DefaultByteBufferPool;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/** Turns the configuration into the settings each part asks for, and owns the I/O worker and buffers. */
@Module
public abstract class AppModule {
    /** Bytes of outbound frames a connection may have queued before it is closed with 1013. */
    static final long MAX_QUEUED_OUTBOUND_BYTES = 1024 * 1024;

    private AppModule() {
    }

    @Provides
    @Singleton
    static DatabaseSettings databaseSettings(OverseerConfig config) {
        return new DatabaseSettings(config.dbUrl(), config.dbUser(), config.dbPassword(), config.dbPoolSize());
    }

    @Provides
    static NodeLease nodeLease(OverseerConfig config) {
        return new NodeLease(config.nodeId(), config.runLease());
    }

    @Provides
    @Singleton
    static JwtSecret jwtSecret(OverseerConfig config) {
        return JwtSecrets.resolve(config);
    }

    @Provides
    @Singleton
    static TokenSettings tokenSettings(OverseerConfig config) {
        return config.tokens();
    }

    @Provides
    @Singleton
    static RunLimits runLimits(OverseerConfig config) {
        return new RunLimits(config.maxActiveRunsPerUser(), RunLimits.DEFAULT_MAX_CONTENT_CHARS,
                config.runStartsPerSecond(), config.runStartBurst(), config.shutdownGrace());
    }

    @Provides
    static Optional<LlmSettings> llmSettings(OverseerConfig config) {
        return config.llm();
    }

    @Provides
    static AgentDefinitions agentDefinitions(OverseerConfig config) {
        return config.agents();
    }

    @Provides
    static McpSettings mcpSettings(OverseerConfig config) {
        return new McpSettings(config.agents().mcpServers());
    }

    @Provides
    static AgentSettings agentSettings(OverseerConfig config) {
        return config.agentSettings();
    }

    @Provides
    @Singleton
    static WebSocketSettings webSocketSettings(OverseerConfig config) {
        return new WebSocketSettings(config.wsMaxMessageBytes(), config.wsHeartbeat(), config.wsIdleTimeout(),
                config.maxConnectionsPerUser(), Math.max(MAX_QUEUED_OUTBOUND_BYTES, 4L * config.wsMaxMessageBytes()));
    }

    @Provides
    @Singleton
    static PrometheusMeterRegistry prometheus() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PrometheusConventions.apply(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    @Provides
    static MeterRegistry meterRegistry(PrometheusMeterRegistry registry) {
        return registry;
    }

    @Provides
    static MetricsExposition metricsExposition(PrometheusMeterRegistry registry) {
        return new MetricsExposition() {
            @Override
            public String contentType() {
                return "text/plain; version=0.0.4; charset=utf-8";
            }

            @Override
            public String scrape() {
                return registry.scrape();
            }
        };
    }

    @Provides
    @Singleton
    static HttpSettings httpSettings(OverseerConfig config) {
        return new HttpSettings(config.httpReadTimeout(), config.httpIdleTimeout(), config.maxUnauthenticatedConnections());
    }

    @Provides
    @Singleton
    static UnauthenticatedConnections unauthenticatedConnections(HttpSettings settings, MeterRegistry meters) {
        return new UnauthenticatedConnections(settings, meters);
    }

    @Provides
    @Singleton
    static CorsPolicy corsPolicy(OverseerConfig config) {
        return CorsPolicy.parse(config.corsOrigins());
    }

    @Provides
    @Singleton
    static XnioWorker worker() {
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            return Xnio.getInstance(Undertow.class.getClassLoader()).createWorker(OptionMap.builder()
                    .set(Options.WORKER_NAME, "overseer")
                    .set(Options.WORKER_IO_THREADS, Math.max(2, cores))
                    .set(Options.WORKER_TASK_CORE_THREADS, Math.max(8, cores * 8))
                    .set(Options.WORKER_TASK_MAX_THREADS, Math.max(8, cores * 8))
                    .set(Options.TCP_NODELAY, true)
                    .getMap());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the I/O worker", e);
        }
    }

    @Provides
    @Singleton
    static ByteBufferPool buffers() {
        return new DefaultByteBufferPool(true, 16 * 1024);
    }
}
