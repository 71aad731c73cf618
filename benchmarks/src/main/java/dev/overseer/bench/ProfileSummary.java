package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Reads the {@code jdk.ExecutionSample} events of a JFR recording (optionally only those inside a time
 * window) and names where the CPU went: the hottest methods by self time, the methods most often on the
 * stack (inclusive), the nearest Overseer frame of every sample (which part of Overseer caused the work,
 * library code below it included), and the threads.
 */
final class ProfileSummary {
    /** One line of a ranking: what, how many samples, and their share of all samples. */
    record Row(String name, long samples, double share) {
    }

    /** The rankings of one recording. */
    record Summary(long samples, List<Row> self, List<Row> inclusive, List<Row> overseerFrames, List<Row> threads) {
        void print(PrintStream out, String title) {
            out.printf("%n%s: %d execution samples%n", title, samples);
            section(out, "hottest methods (self)", self);
            section(out, "methods on the stack (inclusive)", inclusive);
            section(out, "nearest Overseer frame (inclusive of library code below it)", overseerFrames);
            section(out, "threads", threads);
        }

        private static void section(PrintStream out, String heading, List<Row> rows) {
            out.printf("  %s%n", heading);
            for (Row row : rows) {
                out.printf("    %5.1f%%  %7d  %s%n", row.share() * 100, row.samples(), row.name());
            }
        }

        ObjectNode toJson() {
            ObjectNode json = Json.object().put("samples", samples);
            json.set("self", rows(self));
            json.set("inclusive", rows(inclusive));
            json.set("nearest_overseer_frame", rows(overseerFrames));
            json.set("threads", rows(threads));
            return json;
        }

        private static ArrayNode rows(List<Row> rows) {
            ArrayNode array = Json.mapper().createArrayNode();
            rows.forEach(row -> array.addObject().put("name", row.name()).put("samples", row.samples())
                    .put("share", Math.round(row.share() * 10_000) / 10_000.0));
            return array;
        }
    }

    private ProfileSummary() {
    }

    /** Summarises the samples taken in [from, to); null bounds mean the whole recording. */
    static Summary of(Path recording, int top, Instant from, Instant to) throws IOException {
        return of(recording, top, from, to, null);
    }

    /** As {@link #of(Path, int, Instant, Instant)}, only for threads whose (grouped) name matches {@code thread}. */
    static Summary of(Path recording, int top, Instant from, Instant to, Pattern thread) throws IOException {
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> inclusive = new HashMap<>();
        Map<String, Long> overseer = new HashMap<>();
        Map<String, Long> threads = new HashMap<>();
        long samples = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent event = file.readEvent();
                if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                    continue;
                }
                Instant at = event.getStartTime();
                if ((from != null && at.isBefore(from)) || (to != null && !at.isBefore(to))) {
                    continue;
                }
                RecordedThread sampled = event.getThread("sampledThread");
                String group = sampled == null ? "?" : threadGroup(sampled);
                if (thread != null && !thread.matcher(group).find()) {
                    continue;
                }
                RecordedStackTrace stack = event.getStackTrace();
                if (stack == null || stack.getFrames().isEmpty()) {
                    continue;
                }
                samples++;
                List<RecordedFrame> frames = stack.getFrames();
                self.merge(name(frames.get(0).getMethod()), 1L, Long::sum);
                Set<String> seen = new HashSet<>();
                String nearest = null;
                for (RecordedFrame frame : frames) {
                    String method = name(frame.getMethod());
                    if (seen.add(method)) {
                        inclusive.merge(method, 1L, Long::sum);
                    }
                    if (nearest == null && method.startsWith("dev.overseer.")) {
                        nearest = method;
                    }
                }
                overseer.merge(nearest == null ? "(no Overseer frame) " + area(frames) : nearest, 1L, Long::sum);
                threads.merge(group, 1L, Long::sum);
            }
        }
        return new Summary(samples, rank(self, samples, top), rank(inclusive, samples, top),
                rank(overseer, samples, top), rank(threads, samples, top));
    }

    private static String name(RecordedMethod method) {
        return method.getType().getName() + "." + method.getName();
    }

    /** For samples outside Overseer's code: the library of the bottom-most frame that names one. */
    private static String area(List<RecordedFrame> frames) {
        for (int i = frames.size() - 1; i >= 0; i--) {
            String type = frames.get(i).getMethod().getType().getName();
            for (String prefix : new String[] {"io.undertow", "org.xnio", "org.h2", "com.zaxxer", "org.jdbi",
                    "io.micrometer", "ch.qos.logback", "com.fasterxml"}) {
                if (type.startsWith(prefix)) {
                    return prefix;
                }
            }
        }
        return name(frames.get(frames.size() - 1).getMethod());
    }

    private static String threadGroup(RecordedThread thread) {
        String name = thread.getJavaName() == null ? thread.getOSName() : thread.getJavaName();
        if (name == null || name.isEmpty()) {
            return thread.isVirtual() ? "(virtual thread)" : "?";
        }
        return name.replaceAll("run_[0-9a-z]+", "run_*").replaceAll("\\d+", "N");
    }

    private static List<Row> rank(Map<String, Long> counts, long total, int top) {
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(top)
                .map(entry -> new Row(entry.getKey(), entry.getValue(), total == 0 ? 0 : (double) entry.getValue() / total))
                .toList();
    }
}
