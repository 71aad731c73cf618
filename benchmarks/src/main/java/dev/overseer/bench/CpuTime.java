package dev.overseer.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** CPU time a process has used so far (user + system), from {@code /proc/<pid>/stat}; Linux only. */
final class CpuTime {
    /** Linux reports the times in clock ticks of 1/100 s on every common platform ({@code getconf CLK_TCK}). */
    private static final double TICKS_PER_SECOND = 100;

    private CpuTime() {
    }

    /** Seconds of CPU the process has used, or NaN where /proc cannot tell. */
    static double seconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long user = Long.parseLong(fields[11]);
            long system = Long.parseLong(fields[12]);
            return (user + system) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * CPU seconds used so far by the process's threads, summed per thread group: the thread's name with
     * digits replaced by N (Linux keeps the first 15 characters of a name). Empty where /proc cannot tell.
     */
    static Map<String, Double> threadSeconds(long pid) {
        Map<String, Double> groups = new TreeMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (Stream<Path> threads = Files.list(tasks)) {
            threads.forEach(task -> {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double seconds = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
                    groups.merge(name.replaceAll("\\d+", "N"), seconds, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked
                }
            });
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return groups;
    }

    /** Resident set size in bytes (VmRSS), or -1. */
    static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    /** CPU seconds all processes of the machine have used so far (busy time summed over every core), or NaN. */
    static double machineBusySeconds() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            // cpu user nice system idle iowait irq softirq steal: everything but idle and iowait is busy
            for (int i = 1; i <= 8 && i < fields.length; i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(fields[i]);
                }
            }
            return busy / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static long self() {
        return ProcessHandle.current().pid();
    }

    /**
     * Cores in use over a window (CPU seconds per second): by the server, by this client, and by everything
     * else on the machine (other work on a shared machine shows up here and skews the numbers).
     */
    record Usage(double server, double client, double other, Map<String, Double> serverThreads) {
    }

    /** The CPU counters at one instant; {@link #until} turns two of them into a {@link Usage}. */
    record Sample(long serverPid, long nanos, double server, double client, double machine,
            Map<String, Double> serverThreads) {
        static Sample take(long serverPid) {
            return new Sample(serverPid, System.nanoTime(), seconds(serverPid), seconds(self()), machineBusySeconds(),
                    threadSeconds(serverPid));
        }

        Usage until(Sample end) {
            double elapsed = (end.nanos - nanos) / 1e9;
            double serverCores = (end.server - server) / elapsed;
            double clientCores = (end.client - client) / elapsed;
            double machineCores = (end.machine - machine) / elapsed;
            // Threads that ended during the window are missing at its end; their time is simply not shown.
            Map<String, Double> threads = new TreeMap<>();
            end.serverThreads.forEach((group, seconds) -> {
                double cores = (seconds - serverThreads.getOrDefault(group, 0.0)) / elapsed;
                if (cores > 0.005) {
                    threads.put(group, cores);
                }
            });
            return new Usage(serverCores, clientCores, Math.max(0, machineCores - serverCores - clientCores), threads);
        }
    }
}
