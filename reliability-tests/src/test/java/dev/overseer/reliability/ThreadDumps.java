package dev.overseer.reliability;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes this JVM's threads to target/, so a test that saw the server hang leaves evidence of where. */
final class ThreadDumps {
    private ThreadDumps() {
    }

    static Path write(String why) {
        StringBuilder dump = new StringBuilder();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            dump.append(info.toString());
            for (StackTraceElement element : info.getStackTrace()) {
                dump.append("\tat ").append(element).append('\n');
            }
            dump.append('\n');
        }
        Path file = Path.of("target", "thread-dump-" + why + "-" + System.currentTimeMillis() + ".txt");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, dump);
        } catch (IOException e) {
            // the dump is evidence, not the test
        }
        System.out.println("reliability: thread dump written to " + file.toAbsolutePath());
        return file;
    }
}
