package dev.overseer.app;

import dagger.Module;
import dagger.Provides;
import dev.overseer.core.auth.JwtSecret;
import dev.overseer.core.store.DatabaseSettings;
import dev.overseer.core.supervisor.RunLimits;
import dev.overseer.ws.WebSocketSettings;
import io.undertow.Undertow;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.DefaultByteBufferPool;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
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
    @Singleton
    static JwtSecret jwtSecret(OverseerConfig config) {
        return JwtSecrets.resolve(config);
    }

    @Provides
    @Singleton
    static RunLimits runLimits(OverseerConfig config) {
        return new RunLimits(config.maxActiveRunsPerUser(), RunLimits.DEFAULT_MAX_CONTENT_CHARS,
                config.runStartsPerSecond(), config.runStartBurst(), config.shutdownGrace());
    }

    @Provides
    @Singleton
    static WebSocketSettings webSocketSettings(OverseerConfig config) {
        return new WebSocketSettings(config.wsMaxMessageBytes(), config.wsHeartbeat(), config.wsIdleTimeout(),
                config.maxConnectionsPerUser(), Math.max(MAX_QUEUED_OUTBOUND_BYTES, 4L * config.wsMaxMessageBytes()));
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
