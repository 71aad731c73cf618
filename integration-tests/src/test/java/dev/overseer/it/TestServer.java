package dev.overseer.it;

import dev.overseer.app.OverseerComponent;
import dev.overseer.app.OverseerConfig;
import dev.overseer.app.OverseerServer;
import dev.overseer.context.UserId;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The real server, in this JVM, on a free port, over the suite's database (see {@link TestDatabase}). */
public final class TestServer implements AutoCloseable {
    public static final String SECRET = "integration-test-secret-that-is-long-enough-0123456789";

    private final Map<String, String> env;
    private final OpenTelemetry telemetry;
    private OverseerComponent component;
    private OverseerServer server;

    private TestServer(Map<String, String> env, OpenTelemetry telemetry) {
        this.env = env;
        this.telemetry = telemetry;
    }

    /** Starts a server on a new, empty database; {@code overrides} are extra environment variables. */
    public static TestServer start(Map<String, String> overrides) {
        return start(overrides, OpenTelemetry.noop());
    }

    /** The same, its spans going to {@code telemetry}. */
    public static TestServer start(Map<String, String> overrides, OpenTelemetry telemetry) {
        try {
            Path dataDir = Files.createTempDirectory("overseer-it-");
            Map<String, String> env = new HashMap<>();
            env.put("OVERSEER_HOST", "127.0.0.1");
            env.put("OVERSEER_DATA_DIR", dataDir.toString());
            env.put("OVERSEER_DB_URL", TestDatabase.newDatabaseUrl(dataDir));
            env.put("OVERSEER_DB_USER", TestDatabase.user());
            env.put("OVERSEER_JWT_SECRET", SECRET);
            env.put("OVERSEER_SHUTDOWN_GRACE_SECONDS", "2");
            // Tests start runs faster than people do; the rate limit has tests of its own.
            env.put("OVERSEER_RUN_STARTS_PER_SECOND", "10000");
            env.put("OVERSEER_RUN_START_BURST", "10000");
            env.putAll(overrides);
            TestServer server = new TestServer(env, telemetry);
            server.boot();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TestServer start() {
        return start(Map.of());
    }

    private void boot() {
        component = OverseerComponent.create(OverseerConfig.fromEnvironment(env, 0), telemetry);
        try {
            server = component.server().start();
        } catch (Exception e) {
            throw new IllegalStateException("the server did not start", e);
        }
    }

    /** Stops the server and starts a new one on the same database and data dir. */
    public void restart() {
        server.close();
        boot();
    }

    public OverseerServer server() {
        return server;
    }

    public OverseerComponent component() {
        return component;
    }

    public int port() {
        return server.port();
    }

    public URI http(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public URI ws() {
        return URI.create("ws://127.0.0.1:" + port() + "/ws");
    }

    public String token(String user) {
        return component.tokens().issue(new UserId(user), Duration.ofHours(1));
    }

    public String token(String user, Duration ttl) {
        return component.tokens().issue(new UserId(user), ttl);
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
