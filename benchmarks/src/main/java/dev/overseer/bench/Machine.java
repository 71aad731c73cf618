package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Where a benchmark ran: JDK, cores, memory, OS and the commit of the working directory. */
record Machine(String jdk, int cores, long memoryBytes, String os, String commit, boolean dirty) {
    static Machine describe() {
        String commit = git("rev-parse", "HEAD");
        String status = commit == null ? null : git("status", "--porcelain", "--untracked-files=no");
        return new Machine(
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"),
                Runtime.getRuntime().availableProcessors(),
                memTotal(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                commit,
                status != null && !status.isBlank());
    }

    void writeTo(ObjectNode json) {
        json.put("jdk", jdk);
        json.put("cores", cores);
        json.put("memory_bytes", memoryBytes);
        json.put("os", os);
        json.put("commit", commit);
        json.put("commit_dirty", dirty);
    }

    String line() {
        return String.format("JDK %s, %d cores, %.1f GiB, %s, commit %s%s", jdk, cores, memoryBytes / 1073741824.0, os,
                commit == null ? "unknown" : commit.substring(0, Math.min(12, commit.length())),
                dirty ? " (with uncommitted changes)" : "");
    }

    private static long memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static String git(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "git";
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(false)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
