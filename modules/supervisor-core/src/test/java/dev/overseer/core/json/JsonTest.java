package dev.overseer.core.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static final DateTimeFormatter REFERENCE =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private static String reference(Instant instant) {
        return REFERENCE.format(instant.truncatedTo(ChronoUnit.MILLIS));
    }

    @Test
    void timestamp_isRfc3339InUtc_withMillisecondsTruncated() {
        assertThat(Json.timestamp(Instant.parse("2026-11-28T10:00:00.123456789Z"))).isEqualTo("2026-11-28T10:00:00.123Z");
        assertThat(Json.timestamp(Instant.parse("2026-11-28T10:00:00.120Z"))).isEqualTo("2026-11-28T10:00:00.120Z");
        assertThat(Json.timestamp(Instant.parse("2026-11-28T10:00:00.007Z"))).isEqualTo("2026-11-28T10:00:00.007Z");
        assertThat(Json.timestamp(Instant.parse("2026-11-28T10:00:00Z"))).isEqualTo("2026-11-28T10:00:00.000Z");
        assertThat(Json.timestamp(Instant.parse("2026-11-28T10:00:01.999999Z"))).isEqualTo("2026-11-28T10:00:01.999Z");
    }

    @Test
    void timestamp_agreesWithTheFormatter_acrossSecondsYearsAndThreads() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        List<Instant> instants = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            long second = random.nextLong(-62_000_000_000L, 253_402_300_800L); // year 0 to 9999
            instants.add(Instant.ofEpochSecond(second, random.nextInt(1_000_000_000)));
            instants.add(Instant.ofEpochSecond(second, random.nextInt(1_000_000_000))); // the same second again
        }
        instants.add(Instant.parse("+10000-01-01T00:00:00.5Z"));
        instants.add(Instant.EPOCH.minusMillis(1));
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(threads.submit(() -> instants.stream().map(Json::timestamp).toList()));
            }
            List<String> expected = instants.stream().map(JsonTest::reference).toList();
            for (Future<List<String>> result : results) {
                assertThat(result.get()).isEqualTo(expected);
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
