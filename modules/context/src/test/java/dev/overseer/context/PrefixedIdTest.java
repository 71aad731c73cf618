package dev.overseer.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The rules shared by the prefixed ids clients see: thr_, run_, msg_, conn_. */
class PrefixedIdTest {

    /** One kind of prefixed id, with its parser and generator. */
    record Kind(String name, String prefix, Function<String, Object> parse, Supplier<Object> generate) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Kind> kinds() {
        return Stream.of(
                new Kind("thread id", "thr_", ThreadId::parse, ThreadId::generate),
                new Kind("run id", "run_", RunId::parse, RunId::generate),
                new Kind("message id", "msg_", MessageId::parse, MessageId::generate),
                new Kind("connection id", "conn_", ConnectionId::parse, ConnectionId::generate));
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_wellFormedId_keepsTheValue(Kind kind) {
        String text = kind.prefix() + "01hxyz-ABC_9";

        Object id = kind.parse().apply(text);

        assertThat(id.toString()).isEqualTo(text);
        assertThat(id).isEqualTo(kind.parse().apply(text));
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_null_isRejectedAsMissing(Kind kind) {
        assertThatThrownBy(() -> kind.parse().apply(null))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage(kind.name() + " is missing");
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_blankId_isRejected(Kind kind) {
        for (String blank : List.of("", " ", "   \t ")) {
            assertThatThrownBy(() -> kind.parse().apply(blank))
                    .as("'%s'", blank)
                    .isInstanceOf(InvalidIdException.class)
                    .hasMessage(kind.name() + " is blank");
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_withoutPrefix_isRejected(Kind kind) {
        assertThatThrownBy(() -> kind.parse().apply("01hxyzabc"))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage(kind.name() + " must start with '" + kind.prefix() + "'");
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_prefixAlone_isRejected(Kind kind) {
        assertThatThrownBy(() -> kind.parse().apply(kind.prefix()))
                .isInstanceOf(InvalidIdException.class)
                .hasMessageContaining(kind.prefix());
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_anotherKindsPrefix_isRejected(Kind kind) {
        String other = kind.prefix().equals("thr_") ? "run_01hxyz" : "thr_01hxyz";

        assertThatThrownBy(() -> kind.parse().apply(other))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage(kind.name() + " must start with '" + kind.prefix() + "'");
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_upperCasePrefix_isRejected(Kind kind) {
        assertThatThrownBy(() -> kind.parse().apply(kind.prefix().toUpperCase() + "abc"))
                .isInstanceOf(InvalidIdException.class);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_exactly128Characters_isAccepted(Kind kind) {
        String text = kind.prefix() + "a".repeat(IdFormat.MAX_LENGTH - kind.prefix().length());

        assertThat(kind.parse().apply(text).toString()).hasSize(128);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_overLongId_isRejected(Kind kind) {
        String text = kind.prefix() + "a".repeat(IdFormat.MAX_LENGTH + 1 - kind.prefix().length());

        assertThatThrownBy(() -> kind.parse().apply(text))
                .isInstanceOf(InvalidIdException.class)
                .hasMessage(kind.name() + " is longer than 128 characters");
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_controlCharacter_isRejected(Kind kind) {
        for (String control : List.of("\n", "\r", "\t", "\u0000", "\u001b", "\u007f", "\u0085")) {
            assertThatThrownBy(() -> kind.parse().apply(kind.prefix() + "ab" + control + "cd"))
                    .as("U+%04X", (int) control.charAt(0))
                    .isInstanceOf(InvalidIdException.class)
                    .hasMessage(kind.name() + " contains a control character");
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void parse_punctuationOrSpaces_isRejected(Kind kind) {
        for (String bad : List.of(" ", "/", "..", "\"", "'", "<", "é", "%20", ";")) {
            assertThatThrownBy(() -> kind.parse().apply(kind.prefix() + "ab" + bad + "cd"))
                    .as("'%s'", bad)
                    .isInstanceOf(InvalidIdException.class)
                    .hasMessage(kind.name() + " may only hold letters, digits, '_' and '-'");
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void generate_carriesThePrefixAndParsesBack(Kind kind) {
        String id = kind.generate().get().toString();

        assertThat(id).startsWith(kind.prefix()).hasSize(kind.prefix().length() + 26);
        assertThat(id.substring(kind.prefix().length())).matches("[0-9a-z]+");
        assertThat(kind.parse().apply(id).toString()).isEqualTo(id);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void generate_manyIds_areUnique(Kind kind) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            ids.add(kind.generate().get().toString());
        }

        assertThat(ids).hasSize(20_000);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void generate_onManyThreadsAtOnce_eachIdIsUnique(Kind kind) throws Exception {
        // Threads share the generators, several to a generator: 16 threads, 5,000 ids each, mostly in the same
        // milliseconds, so uniqueness rests on the random part.
        Set<String> ids = ConcurrentHashMap.newKeySet();
        try (ExecutorService threads = Executors.newFixedThreadPool(16)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 5_000; i++) {
                        ids.add(kind.generate().get().toString());
                    }
                }));
            }
            for (Future<?> each : done) {
                each.get();
            }
        }

        assertThat(ids).hasSize(16 * 5_000);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void generate_inDifferentMilliseconds_sortsByCreationTime(Kind kind) {
        List<String> inCreationOrder = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            inCreationOrder.add(kind.generate().get().toString());
            awaitNextMillisecond();
        }

        assertThat(inCreationOrder).isSorted();
    }

    private static void awaitNextMillisecond() {
        long now = System.currentTimeMillis();
        while (System.currentTimeMillis() == now) {
            Thread.onSpinWait();
        }
    }
}
