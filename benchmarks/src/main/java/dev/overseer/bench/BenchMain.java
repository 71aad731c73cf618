package dev.overseer.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar benchmarks/target/overseer-bench.jar load|idle|http|jmh|profile|mcp}: the benchmark harness.
 * Every command prints a table, and with {@code --json FILE} writes the numbers as JSON.
 */
@Command(name = "overseer-bench", mixinStandardHelpOptions = true,
        description = "Benchmarks Overseer against a bare Undertow JSR-356 echo server, on this machine.",
        subcommands = {LoadCommand.class, IdleCommand.class, HttpCommand.class, JmhCommand.class,
                ProfileCommand.class, McpCommand.class})
public final class BenchMain implements Callable<Integer> {
    public static void main(String[] args) {
        // The harness itself logs nothing of interest; the servers' logs go to their own files.
        System.setProperty("overseer.log.target", "System.err");
        CommandLine commandLine = new CommandLine(new BenchMain());
        commandLine.setExecutionExceptionHandler((e, command, parsed) -> {
            if (e instanceof java.io.IOException || e instanceof IllegalStateException
                    || e instanceof IllegalArgumentException) {
                command.getErr().println("error: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        System.exit(commandLine.execute(args));
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    /** Options shared by the commands that start servers. */
    static final class ServerOptions {
        @Option(names = "--overseer-jar", defaultValue = "app/target/overseer.jar",
                description = "Overseer's fat jar (default: ${DEFAULT-VALUE}, relative to the working directory).")
        Path overseerJar;

        @Option(names = "--server-jvm-args", description = "JVM flags for the server processes, space-separated "
                + "(also from the environment variable BENCH_SERVER_JVM_ARGS).")
        String serverJvmArgs;

        @Option(names = "--server-env", description = "Extra environment for Overseer, KEY=VALUE (repeatable), "
                + "e.g. OVERSEER_DB_URL=jdbc:postgresql://... .")
        List<String> serverEnv = new ArrayList<>();

        @Option(names = "--jfr", description = "Record Overseer with JFR (settings=profile) into this file and "
                + "summarise the samples taken in the measured window.")
        Path jfr;

        @Option(names = "--client-threads", defaultValue = "2",
                description = "Selector threads of the WebSocket client (default: ${DEFAULT-VALUE}; one thread "
                        + "holds the echo server back by about 13%% on 2 cores).")
        int clientThreads;

        @Option(names = "--json", description = "Also write the results to this file as JSON.")
        Path json;

        @Option(names = "--postgres", description = "Run Overseer on a PostgreSQL that the harness starts itself "
                + "(embedded, from a Maven artifact), a fresh database per server, instead of its embedded H2.")
        boolean postgres;

        Servers.Launch launch() {
            List<String> jvm = new ArrayList<>();
            String fromEnv = System.getenv("BENCH_SERVER_JVM_ARGS");
            for (String args : new String[] {fromEnv, serverJvmArgs}) {
                if (args != null && !args.isBlank()) {
                    jvm.addAll(Arrays.asList(args.trim().split("\\s+")));
                }
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (String entry : serverEnv) {
                int equals = entry.indexOf('=');
                if (equals < 1) {
                    throw new CommandLine.ParameterException(new CommandLine(new BenchMain()),
                            "--server-env wants KEY=VALUE, got " + entry);
                }
                env.put(entry.substring(0, equals), entry.substring(equals + 1));
            }
            JarFreshness.staleness(overseerJar).ifPresent(warning -> System.err.println("warning: " + warning));
            if (postgres) {
                if (env.containsKey("OVERSEER_DB_URL")) {
                    throw new CommandLine.ParameterException(new CommandLine(new BenchMain()),
                            "--postgres starts its own PostgreSQL: leave OVERSEER_DB_URL out of --server-env");
                }
            }
            return new Servers.Launch(overseerJar, jvm, env, jfr, postgres);
        }
    }

    /** Options of the load commands. */
    static final class LoadOptions {
        @Option(names = "--connections", defaultValue = "64", description = "Concurrent connections (default: ${DEFAULT-VALUE}).")
        int connections;

        @Option(names = "--duration", defaultValue = "10", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
        double durationSeconds;

        @Option(names = "--warmup", defaultValue = "auto", description = "Warm-up, not counted: seconds, or auto: at "
                + "least 10 s, then until the server's JIT compiler threads used under 5%% of a core in each of the last "
                + "3 s, at most 60 s (default: ${DEFAULT-VALUE}).")
        String warmup;

        Duration duration() {
            return Duration.ofMillis((long) (durationSeconds * 1_000));
        }

        WarmUp warmUp() {
            return WarmUp.parse(warmup);
        }
    }
}
