package dev.overseer.reliability;

import dev.overseer.it.TestDatabase;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** The one line of figures each test prints: {@code reliability: <name> [h2|pg]: key=value, …, seed=…}. */
final class Figures {
    private final String name;
    private final Map<String, Object> values = new LinkedHashMap<>();

    private Figures(String name) {
        this.name = name;
    }

    static Figures of(String name) {
        return new Figures(name);
    }

    Figures put(String key, Object value) {
        values.put(key, value);
        return this;
    }

    static String db() {
        return TestDatabase.postgres() ? "pg" : "h2";
    }

    /** {@code {1007:12,1009:3}} */
    static String counts(Map<?, ? extends Number> counts) {
        return counts.entrySet().stream().map(entry -> entry.getKey() + ":" + entry.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }

    void print() {
        values.put("seed", Seed.value());
        String line = values.entrySet().stream().map(entry -> entry.getKey() + "=" + entry.getValue())
                .collect(Collectors.joining(", "));
        System.out.println("reliability: " + name + " [" + db() + "]: " + line);
    }
}
