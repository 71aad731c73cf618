package dev.overseer.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Starts the two servers under test, each in its own JVM on the harness's JDK, on a free loopback port. */
final class Servers {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    /**
     * How to start the servers: where Overseer's jar is, extra JVM flags and environment, a JFR file, and whether
     * Overseer runs on the harness's PostgreSQL ({@code --postgres}) instead of its embedded H2.
     */
    record Launch(Path overseerJar, List<String> jvmArgs, Map<String, String> overseerEnv, Path jfr, boolean postgres) {
        Launch {
            jvmArgs = List.copyOf(jvmArgs);
            overseerEnv = Map.copyOf(overseerEnv);
        }

        Launch withoutJfr() {
            return new Launch(overseerJar, jvmArgs, overseerEnv, null, postgres);
        }
    }

    /** A started Overseer and the secret its tokens are signed with. */
    record Overseer(ServerProcess process, String jwtSecret) implements AutoCloseable {
        Tokens tokens() {
            return new Tokens(jwtSecret);
        }

        @Override
        public void close() {
            process.close();
            process.deleteFiles();
        }
    }

    private Servers() {
    }

    /** The bare Undertow JSR-356 echo server ({@link EchoServer}), from this jar's classpath. */
    static ServerProcess echo(Launch launch) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ServerProcess.java().toString());
        command.addAll(launch.jvmArgs());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(EchoServer.class.getName());
        command.add("0");
        return ServerProcess.start("echo", command, Map.of(), Files.createTempDirectory("overseer-bench-echo"),
                START_TIMEOUT);
    }

    /**
     * Overseer from its fat jar on a fresh database (H2 in a temporary directory, or a new database on the
     * harness's PostgreSQL), on port 0, with a JWT secret the harness knows and limits raised so that the
     * benchmark, not a limiter, sets the pace.
     */
    static Overseer overseer(Launch launch) throws IOException {
        return overseers(launch, 1).get(0);
    }

    /**
     * {@code count} Overseer nodes on one fresh database with one JWT secret, each with a node id of its own and
     * its own data directory; more than one needs the harness's PostgreSQL ({@code --postgres}, SPEC §7).
     */
    static List<Overseer> overseers(Launch launch, int count) throws IOException {
        Path jar = launch.overseerJar().toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IOException("Overseer's jar " + jar + " does not exist: build it (see docs/benchmarks.md), run "
                    + "from the repository's root, or pass --overseer-jar");
        }
        if (count > 1 && !launch.postgres()) {
            throw new IllegalArgumentException("several nodes share a PostgreSQL database: add --postgres");
        }
        byte[] random = new byte[36];
        new SecureRandom().nextBytes(random);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Map<String, String> database = launch.postgres() ? BenchPostgres.newDatabase() : Map.of();
        List<Overseer> started = new ArrayList<>();
        try {
            for (int node = 0; node < count; node++) {
                Path dir = Files.createTempDirectory("overseer-bench-");
                Map<String, String> env = new LinkedHashMap<>();
                env.put("OVERSEER_HOST", "127.0.0.1");
                env.put("OVERSEER_PORT", "0");
                env.put("OVERSEER_DATA_DIR", dir.resolve("data").toString());
                env.put("OVERSEER_JWT_SECRET", secret);
                env.put("OVERSEER_RUN_STARTS_PER_SECOND", "1000000");
                env.put("OVERSEER_RUN_START_BURST", "1000000");
                env.put("OVERSEER_MAX_CONNECTIONS_PER_USER", "100000");
                env.put("OVERSEER_SHUTDOWN_GRACE_SECONDS", "5");
                if (count > 1) {
                    env.put("OVERSEER_NODE_ID", "node_bench_" + node);
                }
                env.putAll(database);
                env.putAll(launch.overseerEnv());
                List<String> command = new ArrayList<>();
                command.add(ServerProcess.java().toString());
                command.addAll(launch.jvmArgs());
                if (launch.jfr() != null && node == 0) {
                    command.add("-XX:StartFlightRecording=filename=" + launch.jfr().toAbsolutePath()
                            + ",settings=profile,dumponexit=true");
                    command.add("-XX:FlightRecorderOptions=stackdepth=256");
                }
                command.add("-jar");
                command.add(jar.toString());
                command.add("serve");
                started.add(new Overseer(ServerProcess.start("overseer", command, env, dir, START_TIMEOUT), secret));
            }
            return started;
        } catch (IOException | RuntimeException e) {
            started.forEach(Overseer::close);
            throw e;
        }
    }
}
