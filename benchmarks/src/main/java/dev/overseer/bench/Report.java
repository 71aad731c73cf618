package dev.overseer.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Turns results into the printed table and the JSON document. */
final class Report {
    private Report() {
    }

    /** A result of the WebSocket or HTTP load as JSON: rates, latencies, errors and CPU. */
    static ObjectNode load(WsLoad.Result result, boolean echo) {
        ObjectNode json = Json.object();
        LoadStats.Percentiles latency = result.stats().percentiles();
        json.put("connections", result.connections());
        json.put("connected", result.connected());
        json.put("seconds", result.seconds());
        json.put("warmup_s", round(result.warmUpSeconds()));
        json.put("frames_per_s", round(result.framesPerSecond()));
        if (echo) {
            json.put("round_trips_per_s", round(result.runsPerSecond()));
            json.set("round_trip_ms", percentiles(latency));
        } else {
            json.put("runs_per_s", round(result.runsPerSecond()));
            json.put("frames_per_run", round(result.framesPerRun()));
            json.set("run_latency_ms", percentiles(latency));
        }
        json.putPOJO(echo ? "round_trips_per_second_timeline" : "runs_per_second_timeline",
                result.stats().timeline((int) Math.ceil(result.seconds())));
        json.put("requests_sent", result.stats().sent);
        json.put("errors", result.stats().errorCount());
        ObjectNode detail = json.putObject("error_detail");
        result.stats().errors.forEach(detail::put);
        json.put("server_cpu_cores", round(result.cpu().server()));
        double perOp = echo ? result.framesPerSecond() : result.runsPerSecond();
        json.put(echo ? "server_cpu_us_per_round_trip" : "server_cpu_us_per_run",
                perOp == 0 ? 0 : round(result.cpu().server() / perOp * 1e6));
        json.put("client_cpu_cores", round(result.cpu().client()));
        json.put("other_cpu_cores", round(result.cpu().other()));
        ObjectNode threads = json.putObject("server_cpu_cores_by_thread");
        result.cpu().serverThreads().entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(entry -> threads.put(entry.getKey(), round(entry.getValue())));
        json.put("window_start", result.from().toString());
        json.put("window_end", result.to().toString());
        return json;
    }

    /** The server's busiest thread groups, e.g. {@code overseer-event-=0.95, overseer task-N=0.40}. */
    static String threadCores(CpuTime.Usage cpu) {
        StringBuilder text = new StringBuilder();
        cpu.serverThreads().entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(8)
                .forEach(entry -> text.append(text.isEmpty() ? "" : ", ").append(entry.getKey()).append('=')
                        .append(String.format("%.2f", entry.getValue())));
        return text.toString();
    }

    static ObjectNode percentiles(LoadStats.Percentiles latency) {
        return Json.object()
                .put("count", latency.count())
                .put("p50", round3(latency.p50()))
                .put("p90", round3(latency.p90()))
                .put("p99", round3(latency.p99()))
                .put("max", round3(latency.max()))
                .put("mean", round3(latency.mean()));
    }

    static double round(double value) {
        return Double.isFinite(value) ? Math.round(value * 100) / 100.0 : 0;
    }

    static double round3(double value) {
        return Double.isFinite(value) ? Math.round(value * 1_000) / 1_000.0 : 0;
    }

    static void writeJson(Path file, ObjectNode json) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, Json.mapper().writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json)
                + "\n");
    }

    /** A plain text table with a header row; numbers right-aligned. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        Table row(Object... cells) {
            String[] text = new String[cells.length];
            for (int i = 0; i < cells.length; i++) {
                text[i] = format(cells[i]);
            }
            rows.add(text);
            return this;
        }

        private static String format(Object cell) {
            if (cell instanceof Double value) {
                return Math.abs(value) >= 100 ? String.format("%,.0f", value) : String.format("%.2f", value);
            }
            if (cell instanceof Long || cell instanceof Integer) {
                return String.format("%,d", cell);
            }
            return String.valueOf(cell);
        }

        void print(PrintStream out) {
            int columns = rows.get(0).length;
            int[] widths = new int[columns];
            for (String[] row : rows) {
                for (int i = 0; i < columns && i < row.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (int r = 0; r < rows.size(); r++) {
                StringBuilder line = new StringBuilder();
                String[] row = rows.get(r);
                for (int i = 0; i < columns; i++) {
                    String cell = i < row.length ? row[i] : "";
                    line.append(i == 0 ? String.format("%-" + widths[i] + "s", cell)
                            : String.format("  %" + widths[i] + "s", cell));
                }
                out.println(line.toString().stripTrailing());
                if (r == 0) {
                    out.println("-".repeat(line.length()));
                }
            }
        }
    }
}
