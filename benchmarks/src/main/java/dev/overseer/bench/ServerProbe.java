package dev.overseer.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Asks a server JVM about itself with {@code jcmd} from the harness's JDK. */
final class ServerProbe {
    private static final Pattern HEAP_USED = Pattern.compile("heap.*?used (\\d+)K");

    private ServerProbe() {
    }

    /** The live heap after a full GC ({@code GC.run}, then {@code GC.heap_info}'s {@code used}), in bytes. */
    static long liveHeapBytes(long pid) {
        jcmd(pid, "GC.run");
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher used = HEAP_USED.matcher(info);
        if (!used.find()) {
            throw new IllegalStateException("cannot read the heap size from GC.heap_info:\n" + info);
        }
        return Long.parseLong(used.group(1)) * 1024;
    }

    static String jcmd(long pid, String... command) {
        String[] line = new String[command.length + 2];
        line[0] = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        line[1] = Long.toString(pid);
        System.arraycopy(command, 0, line, 2, command.length);
        try {
            Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("jcmd " + String.join(" ", command) + " failed: "
                        + new String(output, StandardCharsets.UTF_8));
            }
            return new String(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running jcmd", e);
        }
    }
}
