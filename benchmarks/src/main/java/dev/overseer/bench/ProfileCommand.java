package dev.overseer.bench;

import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Pattern;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code profile FILE.jfr}: where the CPU went in a JFR recording (jdk.ExecutionSample). */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Summarises the execution samples of a JFR recording: hottest methods (self and "
                + "inclusive), nearest Overseer frame, threads.")
final class ProfileCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The .jfr file.")
    Path recording;

    @Option(names = "--top", defaultValue = "25", description = "Rows per ranking (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--from", description = "Only samples at or after this instant (ISO-8601).")
    Instant from;

    @Option(names = "--to", description = "Only samples before this instant (ISO-8601).")
    Instant to;

    @Option(names = "--thread", description = "Only threads whose name (digits shown as N) matches this regex.")
    Pattern thread;

    @Override
    public Integer call() throws Exception {
        ProfileSummary.of(recording, top, from, to, thread).print(System.out, recording.toString());
        return 0;
    }
}
