package dev.overseer.app;

import dev.overseer.core.auth.JwtSecret;
import dev.overseer.core.auth.TokenSettings;
import dev.overseer.core.llm.LlmSettings;
import dev.overseer.core.supervisor.AgentDefinitions;
import dev.overseer.core.supervisor.AgentSettings;
import java.nio.file.Files;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/** The server's configuration, read from the environment variables of SPEC §2 and checked once. */
public record OverseerConfig(
        String host,
        int port,
        Path dataDir,
        String dbUrl,
        String dbUser,
        String dbPassword,
        int dbPoolSize,
        Optional<String> jwtSecret,
        TokenSettings tokens,
        int wsMaxMessageBytes,
        Duration wsHeartbeat,
        Duration wsIdleTimeout,
        int maxConnectionsPerUser,
        Duration httpReadTimeout,
        Duration httpIdleTimeout,
        int maxUnauthenticatedConnections,
        int maxActiveRunsPerUser,
        int runStartsPerSecond,
        int runStartBurst,
        Duration shutdownGrace,
        String nodeId,
        Duration runLease,
        String corsOrigins,
        Optional<LlmSettings> llm,
        AgentDefinitions agents,
        AgentSettings agentSettings) {

    /** Reads and checks every variable; {@code portOverride} (the {@code --port} flag) wins over the environment. */
    public static OverseerConfig fromEnvironment(Map<String, String> env, Integer portOverride) {
        Reader reader = new Reader(env);
        String host = reader.string("OVERSEER_HOST", "127.0.0.1");
        int port = portOverride != null ? checkPort("--port", portOverride) : reader.integer("OVERSEER_PORT", 8080, 0, 65_535);
        Path dataDir = Path.of(reader.string("OVERSEER_DATA_DIR", "./data"));
        String dbUrl = reader.string("OVERSEER_DB_URL", "jdbc:h2:file:" + dataDir.toAbsolutePath().normalize().resolve("overseer"));
        if (!dbUrl.startsWith("jdbc:h2:") && !dbUrl.startsWith("jdbc:postgresql:")) {
            throw new ConfigException("OVERSEER_DB_URL must be an H2 (jdbc:h2:…) or PostgreSQL (jdbc:postgresql:…) JDBC URL");
        }
        Optional<String> secret = Optional.ofNullable(env.get("OVERSEER_JWT_SECRET")).filter(value -> !value.isEmpty());
        if (secret.isPresent() && secret.get().getBytes(StandardCharsets.UTF_8).length < JwtSecret.MIN_BYTES) {
            throw new ConfigException("OVERSEER_JWT_SECRET must be at least " + JwtSecret.MIN_BYTES + " bytes long");
        }
        Optional<LlmSettings> llm = llm(reader);
        AgentDefinitions agents = agents(reader.string("OVERSEER_AGENTS_FILE", ""), env);
        AgentSettings agentSettings = new AgentSettings(
                reader.integer("OVERSEER_AGENT_MAX_STEPS", 8, 1, 100),
                reader.integer("OVERSEER_HISTORY_CHARS", 24_000, 0, 10_000_000),
                Duration.ofSeconds(reader.integer("OVERSEER_RUN_TIMEOUT_SECONDS", 600, 1, 86_400)),
                Duration.ofSeconds(reader.integer("OVERSEER_APPROVAL_TIMEOUT_SECONDS", 600, 1, 604_800)));
        int heartbeat = reader.integer("OVERSEER_WS_HEARTBEAT_SECONDS", 25, 1, 3_600);
        int idle = reader.integer("OVERSEER_WS_IDLE_TIMEOUT_SECONDS", 75, 1, 86_400);
        if (idle <= heartbeat) {
            throw new ConfigException("OVERSEER_WS_IDLE_TIMEOUT_SECONDS (" + idle + ") must be greater than "
                    + "OVERSEER_WS_HEARTBEAT_SECONDS (" + heartbeat + "), or clients that only answer pings are cut off");
        }
        String logFormat = reader.string("OVERSEER_LOG_FORMAT", "text");
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new ConfigException("OVERSEER_LOG_FORMAT must be text or json, got '" + logFormat + "'");
        }
        String nodeId = reader.string("OVERSEER_NODE_ID", "node_" + HexFormat.of().formatHex(randomBytes(8)));
        if (!nodeId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new ConfigException("OVERSEER_NODE_ID must be 1 to 64 letters, digits, '.', '_' or '-', starting with a "
                    + "letter or digit, got '" + nodeId + "'");
        }
        String corsOrigins = reader.string("OVERSEER_CORS_ORIGINS", "");
        for (String origin : corsOrigins.split("\\s*,\\s*")) {
            if (!origin.isEmpty() && !origin.equals("*") && !origin.matches("https?://[^/\\s]+")) {
                throw new ConfigException("OVERSEER_CORS_ORIGINS must be * or a comma-separated list of origins "
                        + "like https://app.example.com, got '" + origin + "'");
            }
        }
        return new OverseerConfig(
                host,
                port,
                dataDir,
                dbUrl,
                reader.string("OVERSEER_DB_USER", ""),
                reader.string("OVERSEER_DB_PASSWORD", ""),
                reader.integer("OVERSEER_DB_POOL_SIZE", 16, 1, 1_000),
                secret,
                tokens(reader, secret.isPresent()),
                reader.integer("OVERSEER_WS_MAX_MESSAGE_BYTES", 65_536, 256, 16 * 1024 * 1024),
                Duration.ofSeconds(heartbeat),
                Duration.ofSeconds(idle),
                reader.integer("OVERSEER_MAX_CONNECTIONS_PER_USER", 10, 1, 100_000),
                Duration.ofSeconds(reader.integer("OVERSEER_HTTP_READ_TIMEOUT_SECONDS", 10, 1, 3_600)),
                Duration.ofSeconds(reader.integer("OVERSEER_HTTP_IDLE_TIMEOUT_SECONDS", 60, 1, 86_400)),
                reader.integer("OVERSEER_MAX_UNAUTHENTICATED_CONNECTIONS", 1_000, 1, 1_000_000),
                reader.integer("OVERSEER_MAX_ACTIVE_RUNS_PER_USER", 5, 1, 100_000),
                reader.integer("OVERSEER_RUN_STARTS_PER_SECOND", 10, 1, 1_000_000),
                reader.integer("OVERSEER_RUN_START_BURST", 20, 1, 1_000_000),
                Duration.ofSeconds(reader.integer("OVERSEER_SHUTDOWN_GRACE_SECONDS", 30, 0, 3_600)),
                nodeId,
                Duration.ofSeconds(reader.integer("OVERSEER_RUN_LEASE_SECONDS", 15, 3, 3_600)),
                corsOrigins,
                llm,
                agents,
                agentSettings);
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static int checkPort(String name, int port) {
        if (port < 0 || port > 65_535) {
            throw new ConfigException(name + " must be a whole number from 0 to 65535, got " + port);
        }
        return port;
    }

    /**
     * How tokens are verified (SPEC §3, ADR 0025): with the identity provider's keys when OVERSEER_JWT_JWKS_URL is
     * set, and with the HS256 secret unless only the provider is configured (no development secret beside it).
     */
    private static TokenSettings tokens(Reader reader, boolean secretSet) {
        String jwks = reader.string("OVERSEER_JWT_JWKS_URL", "");
        String issuer = reader.string("OVERSEER_JWT_ISSUER", "");
        String audience = reader.string("OVERSEER_JWT_AUDIENCE", "");
        return new TokenSettings(Duration.ofSeconds(reader.integer("OVERSEER_JWT_CLOCK_SKEW_SECONDS", 60, 0, 300)),
                jwks.isEmpty() ? null : httpUrl("OVERSEER_JWT_JWKS_URL", jwks, "https://idp.example.com/.well-known/jwks.json"),
                issuer.isEmpty() ? null : issuer, audience.isEmpty() ? null : audience, secretSet || jwks.isEmpty());
    }

    private static URI httpUrl(String name, String url, String example) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(name + " is not a valid URL");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new ConfigException(name + " must be an http or https URL, e.g. " + example);
        }
        return uri;
    }

    /** The OpenAI-compatible endpoint, when OVERSEER_LLM_BASE_URL is set. */
    private static Optional<LlmSettings> llm(Reader reader) {
        String url = reader.string("OVERSEER_LLM_BASE_URL", "");
        if (url.isEmpty()) {
            return Optional.empty();
        }
        URI uri = httpUrl("OVERSEER_LLM_BASE_URL", url, "https://api.openai.com/v1");
        String model = reader.string("OVERSEER_LLM_MODEL", "");
        if (model.isEmpty()) {
            throw new ConfigException("OVERSEER_LLM_MODEL must be set when OVERSEER_LLM_BASE_URL is");
        }
        String key = reader.string("OVERSEER_LLM_API_KEY", "");
        return Optional.of(new LlmSettings(uri, key.isEmpty() ? null : key, model,
                Duration.ofSeconds(reader.integer("OVERSEER_LLM_CONNECT_TIMEOUT_SECONDS", 10, 1, 600)),
                Duration.ofSeconds(reader.integer("OVERSEER_LLM_STREAM_TIMEOUT_SECONDS", 60, 1, 3_600)),
                reader.integer("OVERSEER_LLM_MAX_ATTEMPTS", 4, 1, 20),
                Duration.ofSeconds(reader.integer("OVERSEER_LLM_MAX_BACKOFF_SECONDS", 8, 1, 600))));
    }

    /** The agents file, when OVERSEER_AGENTS_FILE names one. */
    private static AgentDefinitions agents(String file, Map<String, String> env) {
        if (file.isEmpty()) {
            return AgentDefinitions.NONE;
        }
        try {
            return AgentDefinitions.parse(Files.readString(Path.of(file)), env);
        } catch (java.io.IOException e) {
            throw new ConfigException("OVERSEER_AGENTS_FILE: cannot read " + file + " (" + e + ")");
        } catch (IllegalArgumentException e) {
            throw new ConfigException("OVERSEER_AGENTS_FILE " + file + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "OverseerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", dbUrl=" + dbUrl
                + ", dbUser=" + dbUser + ", dbPoolSize=" + dbPoolSize + ", nodeId=" + nodeId + ", jwtSecret=" + (jwtSecret.isPresent() ? "set" : "unset") + "]";
    }

    /** Reads variables with defaults; an unusable value is a {@link ConfigException} naming the variable. */
    private record Reader(Map<String, String> env) {
        String string(String name, String defaultValue) {
            String value = env.get(name);
            if (value == null || value.isEmpty()) {
                return defaultValue;
            }
            if (value.isBlank()) {
                throw new ConfigException(name + " must not be blank");
            }
            return value;
        }

        int integer(String name, int defaultValue, int min, int max) {
            String value = env.get(name);
            if (value == null || value.isEmpty()) {
                return defaultValue;
            }
            try {
                int parsed = Integer.parseInt(value.trim());
                if (parsed >= min && parsed <= max) {
                    return parsed;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new ConfigException(name + " must be a whole number from " + min + " to " + max + ", got '" + value + "'");
        }
    }
}
