package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the client sent, decoded or refused with the exact error code and message it receives (SPEC §5). */
class ClientFrameDecoderTest {
    private final ClientFrameDecoder decoder = new ClientFrameDecoder();

    static Stream<Arguments> refusedFrames() {
        String longId = "r".repeat(129);
        return Stream.of(
                arguments("{\"type\":\"ping\"", "invalid_json", "the frame is not valid JSON", null),
                arguments("ping", "invalid_json", "the frame is not valid JSON", null),
                arguments("", "invalid_json", "a frame must be a JSON object", null),
                arguments("null", "invalid_json", "a frame must be a JSON object", null),
                arguments("[{\"type\":\"ping\"}]", "invalid_json", "a frame must be a JSON object", null),
                arguments("\"ping\"", "invalid_json", "a frame must be a JSON object", null),
                arguments("42", "invalid_json", "a frame must be a JSON object", null),
                arguments("{\"type\":\"ping\",\"request_id\":\" \"}", "invalid_message",
                        "request_id must be a non-blank string of at most 128 characters", null),
                arguments("{\"type\":\"ping\",\"request_id\":\"" + longId + "\"}", "invalid_message",
                        "request_id must be a non-blank string of at most 128 characters", null),
                arguments("{\"type\":\"ping\",\"request_id\":7}", "invalid_message", "request_id must be a string", null),
                arguments("{\"request_id\":\"r1\"}", "invalid_message", "type must be a string", "r1"),
                arguments("{\"type\":3,\"request_id\":\"r1\"}", "invalid_message", "type must be a string", "r1"),
                arguments("{\"type\":null}", "invalid_message", "type must be a string", null),
                arguments("{\"type\":\"dance\",\"request_id\":\"r1\"}", "unknown_type", "unknown frame type 'dance'", "r1"),
                arguments("{\"type\":\"" + "d".repeat(100) + "\"}", "unknown_type",
                        "unknown frame type '" + "d".repeat(64) + "…'", null),
                arguments("{\"type\":\"start_agent\",\"request_id\":\"r1\"}", "invalid_message", "content is required", "r1"),
                arguments("{\"type\":\"start_agent\",\"content\":null}", "invalid_message", "content is required", null),
                arguments("{\"type\":\"start_agent\",\"content\":42}", "invalid_message", "content must be a string", null),
                arguments("{\"type\":\"start_agent\",\"content\":\"a\\u0000b\",\"request_id\":\"r1\"}", "invalid_message",
                        "content must not contain U+0000", "r1"),
                arguments("{\"type\":\"ping\",\"request_id\":\"r\\u0000\"}", "invalid_message",
                        "request_id must not contain U+0000", null),
                arguments("{\"type\":\"start_agent\",\"content\":\"hi\",\"agent\":\"\\u0000\"}", "invalid_message",
                        "agent must not contain U+0000", null),
                arguments("{\"type\":\"start_agent\",\"content\":[\"hi\"]}", "invalid_message", "content must be a string", null),
                arguments("{\"type\":\"start_agent\",\"content\":\" \\n \"}", "invalid_message", "content must not be blank",
                        null),
                arguments("{\"type\":\"start_agent\",\"content\":\"hi\",\"thread_id\":5,\"request_id\":\"r2\"}",
                        "invalid_message", "thread_id must be a string", "r2"),
                arguments("{\"type\":\"start_agent\",\"content\":\"hi\",\"agent\":{}}", "invalid_message",
                        "agent must be a string", null),
                arguments("{\"type\":\"cancel_run\"}", "invalid_message", "run_id is required", null),
                arguments("{\"type\":\"cancel_run\",\"run_id\":\"\"}", "invalid_message", "run_id must not be blank", null),
                arguments("{\"type\":\"resume\",\"after_seq\":1}", "invalid_message", "run_id is required", null),
                arguments("{\"type\":\"resume\",\"run_id\":\"run_1\",\"after_seq\":-1,\"request_id\":\"r3\"}",
                        "invalid_message", "after_seq must be a whole number >= 0", "r3"),
                arguments("{\"type\":\"resume\",\"run_id\":\"run_1\",\"after_seq\":1.5}", "invalid_message",
                        "after_seq must be a whole number >= 0", null),
                arguments("{\"type\":\"resume\",\"run_id\":\"run_1\",\"after_seq\":\"3\"}", "invalid_message",
                        "after_seq must be a whole number >= 0", null),
                arguments("{\"type\":\"resume\",\"run_id\":\"run_1\",\"after_seq\":4294967296}", "invalid_message",
                        "after_seq must be a whole number >= 0", null),
                arguments("{\"type\":\"subscribe\",\"thread_id\":true}", "invalid_message", "thread_id must be a string",
                        null));
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @MethodSource("refusedFrames")
    void refusedFrame_isAnErrorWithCodeMessageAndTheRequestIdWhenItWasReadable(String text, String code,
            String message, String requestId) {
        FrameError error = catchThrowableOfType(FrameError.class, () -> decoder.decode(text));

        assertThat(error).as("decoding %s", text).isNotNull();
        assertThat(error.code()).isEqualTo(code);
        assertThat(error.getMessage()).isEqualTo(message);
        assertThat(error.requestId()).isEqualTo(requestId);
    }

    @Test
    void everyFrameType_decodesToAFrameOfThatType_andTheyAreAllListed() throws FrameError {
        List<String> decoded = new ArrayList<>();
        for (String frame : List.of("{\"type\":\"start_agent\",\"content\":\"hi\"}",
                "{\"type\":\"cancel_run\",\"run_id\":\"run_1\"}", "{\"type\":\"resume\",\"run_id\":\"run_1\"}",
                "{\"type\":\"subscribe\",\"thread_id\":\"thr_1\"}",
                "{\"type\":\"approve_tool\",\"run_id\":\"run_1\",\"tool_call_id\":\"call_1\",\"approved\":true}",
                "{\"type\":\"ping\"}")) {
            decoded.add(decoder.decode(frame).type());
        }
        assertThat(decoded).containsExactlyElementsOf(ClientFrame.TYPES);
        assertThat(ClientFrame.class.getPermittedSubclasses()).hasSameSizeAs(ClientFrame.TYPES);
    }

    @Test
    void startAgent_withEveryField() throws FrameError {
        ClientFrame frame = decoder.decode("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\","
                + "\"thread_id\":\"thr_1\",\"agent\":\"supervisor\",\"request_id\":\"r1\",\"extra\":1}");

        assertThat(frame).isEqualTo(new ClientFrame.StartAgent("What is 6*7?", "thr_1", "supervisor", "r1"));
    }

    @Test
    void startAgent_withOnlyContent_asksForANewThreadAndTheDefaultAgent() throws FrameError {
        assertThat(decoder.decode("{\"type\":\"start_agent\",\"content\":\"hi\",\"thread_id\":null}"))
                .isEqualTo(new ClientFrame.StartAgent("hi", null, null, null));
    }

    @Test
    void cancelRun_subscribe_andPing() throws FrameError {
        assertThat(decoder.decode("{\"type\":\"cancel_run\",\"run_id\":\"run_1\",\"request_id\":\"c\"}"))
                .isEqualTo(new ClientFrame.CancelRun("run_1", "c"));
        assertThat(decoder.decode("{\"type\":\"subscribe\",\"thread_id\":\"thr_1\"}"))
                .isEqualTo(new ClientFrame.Subscribe("thr_1", null));
        assertThat(decoder.decode("{\"type\":\"ping\",\"request_id\":\"p\"}")).isEqualTo(new ClientFrame.Ping("p"));
    }

    @Test
    void resume_afterSeqDefaultsToZero_andTakesAnyWholeNumberUpToIntMax() throws FrameError {
        assertThat(decoder.decode("{\"type\":\"resume\",\"run_id\":\"run_1\"}"))
                .isEqualTo(new ClientFrame.Resume("run_1", 0, null));
        assertThat(decoder.decode("{\"type\":\"resume\",\"run_id\":\"run_1\",\"after_seq\":null}"))
                .isEqualTo(new ClientFrame.Resume("run_1", 0, null));
        assertThat(decoder.decode("{\"type\":\"resume\",\"run_id\":\"run_1\",\"after_seq\":2147483647,\"request_id\":\"r\"}"))
                .isEqualTo(new ClientFrame.Resume("run_1", Integer.MAX_VALUE, "r"));
    }

    @Test
    void requestId_ofExactlyTheMaximumLength_isAccepted() throws FrameError {
        String id = "r".repeat(128);
        assertThat(decoder.decode("{\"type\":\"ping\",\"request_id\":\"" + id + "\"}").requestId()).isEqualTo(id);
    }
}
