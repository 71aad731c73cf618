package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a newcomer meets when the environment is wrong (docs/configuration.md, "Exit codes"): the real {@code Main}
 * and the fat jar in child JVMs stop with one line naming the problem and what to do, no stack trace, and the exit
 * code of its kind: 2 for configuration (an old JVM, an H2 file in use, an address that does not resolve), 3 for a
 * database that does not answer. Each case runs in the execution whose database it is about.
 */
class StartupFailuresTest {
    private static final Path JAR = Path.of("..", "app", "target", "overseer.jar").toAbsolutePath().normalize();
    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(?:1\\.)?(\\d+)");
    /** Nothing listens on port 1 (binding it needs root), so a connection to it is refused at once. */
    private static final String POSTGRES_DOWN = "jdbc:postgresql://127.0.0.1:1/overseer";

    /** What a child printed and how it ended. */
    private record Exit(int code, String stdout, String stderr) {
        /** Standard error without the JVM's own warnings (about sun.misc.Unsafe in a dependency). */
        List<String> errorLines() {
            return stderr.lines().filter(line -> !line.isBlank() && !line.startsWith("WARNING:")).toList();
        }

        void hasNoStackTrace() {
            assertThat(stdout + stderr).as("output of the child").doesNotContain("\tat ").doesNotContain("Exception");
        }
    }

    @Test
    void migrate_whileAServerHoldsTheH2File_stopsWithOneLineNamingTheDatabase_exitCode2() throws Exception {
        assumeTrue(!TestDatabase.postgres(), "about the embedded H2 file");
        Path dataDir = Files.createTempDirectory("overseer-it-migrate-locked-");
        String databaseUrl = TestDatabase.newDatabaseUrl(dataDir);
        try (NodeProcess server = NodeProcess.start("server", dataDir, databaseUrl, Map.of())) {
            server.awaitHealthy();

            Exit exit = main(dataDir, Map.of("OVERSEER_DB_URL", databaseUrl), "migrate");

            assertThat(exit.code()).as("exit code; stderr:%n%s", exit.stderr()).isEqualTo(2);
            assertThat(exit.errorLines()).singleElement().satisfies(line -> assertThat(line)
                    .startsWith("error: OVERSEER_DB_URL: the H2 database is in use by another process")
                    .contains("stop the other process"));
            exit.hasNoStackTrace();
            assertThat(server.send(null, "GET", "/readyz", null).statusCode()).as("the server goes on").isEqualTo(200);
        }
    }

    @Test
    void serve_onAHostThatDoesNotResolve_stopsWithOneLineNamingOverseerHost_exitCode2() throws Exception {
        assumeTrue(!TestDatabase.postgres(), "the address, not the database, is the point; once is enough");
        Path dataDir = Files.createTempDirectory("overseer-it-bad-host-");

        Exit exit = main(dataDir, Map.of("OVERSEER_HOST", "no-such-host.invalid"), "serve", "--port", "0");

        assertThat(exit.code()).as("exit code; stderr:%n%s", exit.stderr()).isEqualTo(2);
        assertThat(exit.errorLines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("error: OVERSEER_HOST: cannot resolve 'no-such-host.invalid'")
                .contains("0.0.0.0"));
        assertThat(exit.stdout()).doesNotContain("listening on");
        exit.hasNoStackTrace();
    }

    @Test
    void migrateAndServe_againstAPostgresqlThatIsDown_stopWithOneLineNamingTheDatabase_exitCode3() throws Exception {
        assumeTrue(TestDatabase.postgres(), "about PostgreSQL");
        Path dataDir = Files.createTempDirectory("overseer-it-postgres-down-");
        for (List<String> command : List.of(List.of("migrate"), List.of("serve", "--port", "0"))) {
            Exit exit = main(dataDir, Map.of("OVERSEER_DB_URL", POSTGRES_DOWN), command.toArray(String[]::new));

            assertThat(exit.code()).as("%s: exit code; stderr:%n%s", command, exit.stderr()).isEqualTo(3);
            assertThat(exit.errorLines()).as(command.toString()).singleElement().satisfies(line -> assertThat(line)
                    .startsWith("error: OVERSEER_DB_URL: the database does not answer (")
                    .contains("127.0.0.1:1")
                    .endsWith("; start it, or point OVERSEER_DB_URL at one that runs"));
            assertThat(exit.stdout()).as(command.toString()).doesNotContain("listening on");
            exit.hasNoStackTrace();
        }
    }

    @Test
    void serve_againstARunningPostgresqlWithoutTheDatabase_isConfiguration_exitCode2() throws Exception {
        assumeTrue(TestDatabase.postgres(), "about PostgreSQL");
        Path dataDir = Files.createTempDirectory("overseer-it-postgres-no-database-");
        String missing = TestDatabase.newDatabaseUrl(dataDir).replaceFirst("/overseer_\\d+", "/no_such_database");

        Exit exit = main(dataDir, Map.of("OVERSEER_DB_URL", missing, "OVERSEER_DB_USER", TestDatabase.user()),
                "serve", "--port", "0");

        assertThat(exit.code()).as("exit code; stderr:%n%s", exit.stderr()).isEqualTo(2);
        assertThat(exit.errorLines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("error: OVERSEER_DB_URL: cannot use the database (")
                .contains("no_such_database"));
        exit.hasNoStackTrace();
    }

    @Test
    void fatJar_onThisJava_runsOverseer() {
        assumeTrue(!TestDatabase.postgres(), "about the jar, not the database; once is enough");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

        Exit exit = jar(java, "--version");

        assertThat(exit.code()).as("exit code; stderr:%n%s", exit.stderr()).isZero();
        assertThat(exit.stdout()).startsWith("overseer ");
    }

    @Test
    void fatJar_onAJavaOlderThan21_refusesWithOneLineNamingBothVersions_exitCode2() throws IOException {
        assumeTrue(!TestDatabase.postgres(), "about the jar, not the database; once is enough");
        Optional<OldJava> old = oldJava();
        assumeTrue(old.isPresent(), "no JVM older than 21 under /usr/lib/jvm to try the jar with");

        Exit exit = jar(old.get().java().toString(), "token", "--user", "alice");

        assertThat(exit.code()).as("exit code; stderr:%n%s", exit.stderr()).isEqualTo(2);
        assertThat(exit.stdout()).as("no token on stdout").isEmpty();
        assertThat(exit.errorLines()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("error: Overseer needs Java 21 or newer; this is Java " + old.get().feature() + " (")
                .contains(old.get().home().toString()));
        exit.hasNoStackTrace();
    }

    private record OldJava(Path home, int feature) {
        Path java() {
            return home.resolve("bin").resolve("java");
        }
    }

    /** A JDK or JRE older than 21 installed beside the one running the tests (Debian's java 17, say). */
    private static Optional<OldJava> oldJava() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        List<OldJava> found = new ArrayList<>();
        try (Stream<Path> homes = Files.list(jvms)) {
            for (Path home : homes.toList()) {
                Path release = home.resolve("release");
                if (Files.isExecutable(home.resolve("bin").resolve("java")) && Files.isRegularFile(release)) {
                    Matcher version = JAVA_VERSION.matcher(Files.readString(release));
                    if (version.find() && Integer.parseInt(version.group(1)) < 21) {
                        found.add(new OldJava(home.toRealPath(), Integer.parseInt(version.group(1))));
                    }
                }
            }
        }
        return found.stream().findFirst();
    }

    /** {@code java -jar app/target/overseer.jar ARGS}, the way the README runs it. */
    private static Exit jar(String java, String... args) {
        assertThat(Files.isRegularFile(JAR)).as("the fat jar %s (built by app at package; run through the reactor "
                + "with -am)", JAR).isTrue();
        try {
            Path dataDir = Files.createTempDirectory("overseer-it-jar-");
            List<String> command = new ArrayList<>(List.of(java, "-jar", JAR.toString()));
            command.addAll(List.of(args));
            return run(command, dataDir, Map.of());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code dev.overseer.app.Main ARGS} on this test's classpath, with the test secret and an H2 file in the data dir. */
    private static Exit main(Path dataDir, Map<String, String> variables, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.overseer.app.Main"));
        command.addAll(List.of(args));
        return run(command, dataDir, variables);
    }

    private static Exit run(List<String> command, Path dataDir, Map<String, String> variables) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().keySet().removeIf(name -> name.startsWith("OVERSEER_"));
            builder.environment().put("OVERSEER_HOST", "127.0.0.1");
            builder.environment().put("OVERSEER_DATA_DIR", dataDir.toString());
            builder.environment().put("OVERSEER_DB_URL", "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("overseer"));
            builder.environment().put("OVERSEER_JWT_SECRET", TestServer.SECRET);
            builder.environment().putAll(variables);
            Path stdout = Files.createTempFile(dataDir, "stdout-", ".txt");
            Path stderr = Files.createTempFile(dataDir, "stderr-", ".txt");
            builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            Process process = builder.start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(command + " did not stop within 60 s: " + Files.readString(stdout));
            }
            return new Exit(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
