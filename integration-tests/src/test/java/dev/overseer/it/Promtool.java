package dev.overseer.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Prometheus' own linter of the text exposition, {@code promtool check metrics}, where it is installed. */
final class Promtool {
    private Promtool() {
    }

    /** What promtool said: its exit code and everything it printed. */
    record Result(int exitCode, String output) {
    }

    /** The promtool binary; skips the calling test, saying why and how to get one, when there is none. */
    static Path require() {
        String path = System.getenv().getOrDefault("PATH", "");
        Optional<Path> promtool = Stream.concat(Stream.of("/usr/bin", "/usr/local/bin"), Stream.of(path.split(":")))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "promtool"))
                .filter(Files::isExecutable)
                .findFirst();
        assumeTrue(promtool.isPresent(), "SKIPPED: no promtool binary (/usr/bin/promtool); install Debian's "
                + "prometheus package (apt-get install -y prometheus, as .ci/run does) to lint GET /metrics");
        return promtool.get();
    }

    /** Pipes {@code exposition} to {@code promtool check metrics}. */
    static Result checkMetrics(Path promtool, String exposition) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "reading promtool's output failed: " + e;
            }
        });
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("promtool check metrics did not finish within 30 s");
        }
        return new Result(process.exitValue(), output.join());
    }
}
