package dev.overseer.core.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * The one JSON mapper of the process (thread-safe once built) and the RFC 3339 timestamp format. Its
 * buffers are recycled through one shared pool: Jackson's default pool is per thread, and events are
 * encoded on virtual threads that each live for one run, so every event allocated fresh buffers.
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final DateTimeFormatter RFC_3339_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    /**
     * The last second formatted, up to and including its {@code .}: the timestamps of one second differ only
     * in their milliseconds, and a run's events, stamped within microseconds, share it.
     */
    private static volatile Second lastSecond = new Second(Long.MIN_VALUE, "");

    private record Second(long epochSecond, String prefix) {
    }

    private Json() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Serialises a tree or a plain value (records included) to compact JSON. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses text that this process wrote itself (stored JSON); failures are bugs, not client errors. */
    public static JsonNode readTrusted(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first field of {@code object} that is not among {@code known}, if any: so that a typo is not ignored. */
    public static Optional<String> unknownField(JsonNode object, Set<String> known) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                return Optional.of(name);
            }
        }
        return Optional.empty();
    }

    /** An instant as an RFC 3339 UTC timestamp with milliseconds, e.g. {@code 2026-11-28T10:00:00.123Z}. */
    public static String timestamp(Instant instant) {
        Second second = lastSecond;
        if (second.epochSecond() != instant.getEpochSecond()) {
            String whole = RFC_3339_MILLIS.format(Instant.ofEpochSecond(instant.getEpochSecond()));
            second = new Second(instant.getEpochSecond(), whole.substring(0, whole.length() - "000Z".length()));
            lastSecond = second;
        }
        int millis = instant.getNano() / 1_000_000;
        StringBuilder text = new StringBuilder(second.prefix().length() + 4).append(second.prefix());
        if (millis < 100) {
            text.append(millis < 10 ? "00" : "0");
        }
        return text.append(millis).append('Z').toString();
    }
}
