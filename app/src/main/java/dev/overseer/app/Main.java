package dev.overseer.app;

import ch.qos.logback.classic.LoggerContext;
import dev.overseer.context.InvalidIdException;
import dev.overseer.context.UserId;
import io.opentelemetry.api.OpenTelemetry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import sun.misc.Signal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code serve} (the default), {@code token}, {@code migrate}, {@code --help}, {@code --version}. */
@Command(name = "overseer",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Runs AI supervisor agents for WebSocket agent clients and an HTTP API.",
        subcommands = {Main.Serve.class, Main.Token.class, Main.Migrate.class})
public final class Main implements Callable<Integer> {
    public static void main(String[] args) {
        // Only `serve` logs to standard output; `token` must print nothing there but the token.
        boolean serving = args.length == 0 || args[0].equals("serve") || args[0].startsWith("--port");
        System.setProperty("overseer.log.target", serving ? "System.out" : "System.err");
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            StartupFailure failure = StartupFailure.of(e).orElseThrow(() -> e);
            cmd.getErr().println("error: " + failure.message());
            return failure.exitCode();
        });
        return commandLine.execute(args);
    }

    @Option(names = "--port", description = "With no command: the port for serve.")
    Integer port;

    @Override
    public Integer call() throws Exception {
        Serve serve = new Serve();
        serve.port = port;
        return serve.call();
    }

    /** Builds the graph for the environment's configuration, without tracing. */
    static OverseerComponent graph(Integer port) {
        return graph(OverseerConfig.fromEnvironment(System.getenv(), port), OpenTelemetry.noop());
    }

    /** Builds the graph for {@code config}, its spans going to {@code telemetry}. */
    static OverseerComponent graph(OverseerConfig config, OpenTelemetry telemetry) {
        // Every log line names the node it came from (the JSON format writes the context's properties, ADR 0027).
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
            logging.putProperty("node_id", config.nodeId());
        }
        return OverseerComponent.create(config, telemetry);
    }

    /** {@code serve [--port N]}: runs the server until SIGTERM or Ctrl-C. */
    @Command(name = "serve", mixinStandardHelpOptions = true, description = "Starts the server (the default).")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--port", description = "Port to listen on; overrides OVERSEER_PORT (0 picks a free port).")
        Integer port;

        @Override
        public Integer call() throws Exception {
            OverseerConfig config = OverseerConfig.fromEnvironment(System.getenv(), port);
            OpenTelemetry telemetry = Telemetry.fromEnvironment(System.getenv(), config.nodeId());
            // What stops the start (a taken port, a database that does not answer) becomes one line and an exit code
            // in run's handler (StartupFailure).
            OverseerServer server = graph(config, telemetry).server().start();
            // Handling the signals ourselves (instead of a shutdown hook) lets a SIGTERM stop gracefully and exit 0.
            CountDownLatch stop = new CountDownLatch(1);
            for (String signal : new String[] {"TERM", "INT"}) {
                Signal.handle(new Signal(signal), received -> stop.countDown());
            }
            stop.await();
            server.close();
            Telemetry.close(telemetry);
            return 0;
        }
    }

    /** {@code token --user USER_ID [--ttl SECONDS]}: prints a JWT for the user, signed with the server's secret. */
    @Command(name = "token", mixinStandardHelpOptions = true, description = "Prints a token for a user on standard output.")
    static final class Token implements Callable<Integer> {
        @Option(names = "--user", required = true, description = "The user id (the token's sub claim).")
        String user;

        @Option(names = "--ttl", defaultValue = "3600", description = "Seconds until the token expires (default 3600).")
        long ttlSeconds;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (ttlSeconds < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--ttl must be at least 1 second");
            }
            UserId userId;
            try {
                userId = new UserId(user);
            } catch (InvalidIdException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--user: " + e.getMessage());
            }
            OverseerConfig config = OverseerConfig.fromEnvironment(System.getenv(), null);
            if (!config.tokens().acceptSecret()) {
                throw new ConfigException("OVERSEER_JWT_JWKS_URL is set without OVERSEER_JWT_SECRET: the server accepts "
                        + "only the identity provider's tokens, so there is nothing for this command to sign with");
            }
            String token = new dev.overseer.core.auth.TokenIssuer(JwtSecrets.resolve(config), config.tokens(),
                    java.time.Clock.systemUTC())
                    .issue(userId, Duration.ofSeconds(ttlSeconds));
            PrintWriter out = spec.commandLine().getOut();
            out.println(token);
            out.flush();
            return 0;
        }
    }

    /** {@code migrate}: applies pending database migrations and exits. */
    @Command(name = "migrate", mixinStandardHelpOptions = true, description = "Applies database migrations and exits.")
    static final class Migrate implements Callable<Integer> {
        @Override
        public Integer call() {
            OverseerComponent graph = graph(null);
            try (var database = graph.database()) {
                int applied = database.migrate();
                System.err.println("applied " + applied + " migrations");
            }
            return 0;
        }
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"overseer " + (version == null ? "development build" : version)};
        }
    }
}
