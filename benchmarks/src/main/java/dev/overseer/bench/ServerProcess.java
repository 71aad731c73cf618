package dev.overseer.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A server under test in its own JVM: started with a command and environment, ready once it logs
 * {@code listening on http://HOST:PORT} (the real port), its output kept in a log file, stopped with
 * SIGTERM (then SIGKILL if it does not exit).
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://([^:\\s]+):(\\d+)");
    private static final int TAIL_LINES = 40;

    private final String name;
    private final Process process;
    private final Path log;
    private final Path tempDir;
    private final CompletableFuture<InetSocketAddress> address = new CompletableFuture<>();
    private final Deque<String> tail = new ArrayDeque<>();
    private final Thread reader;

    private ServerProcess(String name, Process process, Path log, Path tempDir) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.tempDir = tempDir;
        this.reader = Thread.ofPlatform().name(name + "-output").daemon().start(this::readOutput);
    }

    /** The java binary of this JVM: the servers run on the same JDK as the harness. */
    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * Starts the command with this environment (the harness's own {@code OVERSEER_*} variables are
     * removed first) and waits until it logs its address. {@code tempDir} is deleted on close.
     */
    static ServerProcess start(String name, List<String> command, Map<String, String> environment, Path tempDir,
            Duration startTimeout) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(key -> key.startsWith("OVERSEER_"));
        builder.environment().putAll(environment);
        Files.createDirectories(tempDir);
        ServerProcess server = new ServerProcess(name, builder.start(), tempDir.resolve(name + ".log"), tempDir);
        try {
            server.address.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return server;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
            throw new IOException("interrupted while " + name + " was starting", e);
        } catch (ExecutionException | TimeoutException e) {
            server.close();
            throw new IOException(name + " did not start (" + e.getMessage() + "); its last output:\n"
                    + String.join("\n", server.tail()), e);
        }
    }

    private void readOutput() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)); Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = lines.readLine()) != null) {
                out.write(line);
                out.write('\n');
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
                if (!address.isDone()) {
                    Matcher matcher = LISTENING.matcher(line);
                    if (matcher.find()) {
                        out.flush();
                        address.complete(new InetSocketAddress(matcher.group(1), Integer.parseInt(matcher.group(2))));
                    }
                }
            }
        } catch (IOException e) {
            address.completeExceptionally(e);
        }
        address.completeExceptionally(new IOException(name + " exited with " + exitCode()));
    }

    private String exitCode() {
        try {
            return Integer.toString(process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : -1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    String name() {
        return name;
    }

    InetSocketAddress address() {
        return address.join();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    /** The last lines the server printed. */
    List<String> tail() {
        synchronized (tail) {
            return new ArrayList<>(tail);
        }
    }

    /** Lines of the log at WARN or ERROR level (Overseer's logback pattern), for the report. */
    List<String> warnings() {
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.contains(" WARN ") || line.contains(" ERROR ")).limit(20).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    /** Stops the server with SIGTERM; returns its exit code, or -1 if it had to be killed. */
    int stop(Duration grace) {
        process.destroy();
        try {
            if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                reader.join(2_000);
                return process.exitValue();
            }
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        return -1;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop(Duration.ofSeconds(20));
        }
    }

    /** Deletes the server's temporary directory (its database and log). */
    void deleteFiles() {
        try (Stream<Path> files = Files.walk(tempDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind is harmless
        }
    }
}
