package dev.overseer.reliability;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generates hostile client text frames from a seeded {@link Random}: every client message type of SPEC §5 with
 * each field replaced, dropped or doubled, wrong types, nulls, control characters, huge numbers, deep nesting,
 * unknown types, invalid JSON and invalid UTF-8.
 */
final class HostileFrames {
    /** What the server must do with a frame: answer it on an open connection, or close with this code. */
    enum Expect { ANSWER, CLOSE_1007 }

    record Hostile(String kind, byte[] payload, Expect expect) {
    }

    static final List<String> TYPES = List.of("start_agent", "cancel_run", "resume", "subscribe", "approve_tool", "ping");

    private static final List<String> VALUES = List.of(
            "null", "true", "false", "0", "-1", "1.5", "-0", "1e309", "-1e309", "1e-400",
            "123456789012345678901234567890123456789", "9223372036854775808", "-9223372036854775809",
            "2147483648", "\"\"", "\" \"", "\"\\u0000\"", "\"\\u0007\\b\\f\\n\\r\\t\"", "\"\\ud800\"",
            "\"\\udfff\\ud800x\"", "\"\\u202e\\u200b\"", "\"emoji \uD83D\uDE00\"", "[]", "[1,\"a\",null]", "{}",
            "{\"$gt\":\"\"}", "\"run_\"", "\"thr_\"", "\"run_../../etc/passwd\"", "\"thr_%2F..%2F\"",
            "\"run_' OR '1'='1\"", "\"<script>alert(1)</script>\"", "\"${jndi:ldap://x/a}\"", "\"%s%n%x\"",
            "\"supervisor\\u0000\"", "\"SUPERVISOR\"", "\"conn_1\"", "\"msg_1\"");

    private final Random random;
    private final Map<String, String> valid;

    /** {@code threadId} and {@code runId} are real ids of the sending user, so valid-looking frames reach deep. */
    HostileFrames(Random random, String threadId, String runId) {
        this.random = random;
        this.valid = Map.of(
                "content", "\"hello fuzz\"", "thread_id", quote(threadId), "agent", "\"supervisor\"",
                "request_id", "\"req-1\"", "run_id", quote(runId), "after_seq", "0",
                "tool_call_id", "\"call_1\"", "approved", "true", "reason", "\"why not\"");
    }

    Hostile next() {
        int pick = random.nextInt(100);
        if (pick < 45) {
            return fieldReplaced();
        } else if (pick < 52) {
            return fieldDropped();
        } else if (pick < 58) {
            return allFieldsHostile();
        } else if (pick < 66) {
            return hostileType();
        } else if (pick < 72) {
            return duplicatedOrExtra();
        } else if (pick < 77) {
            return notAnObject();
        } else if (pick < 87) {
            return invalidJson();
        } else if (pick < 92) {
            return deepNesting();
        } else if (pick < 97) {
            return controlCharactersAndLongStrings();
        } else {
            return invalidUtf8();
        }
    }

    private Hostile fieldReplaced() {
        String type = any(TYPES);
        Map<String, String> fields = fields(type);
        if (fields.isEmpty()) {
            fields.put("request_id", anyValue());
        } else {
            List<String> names = new ArrayList<>(fields.keySet());
            fields.put(any(names), anyValue());
        }
        return answer("replace:" + type, object(type, fields));
    }

    private Hostile fieldDropped() {
        String type = any(TYPES);
        Map<String, String> fields = fields(type);
        if (!fields.isEmpty()) {
            fields.remove(any(new ArrayList<>(fields.keySet())));
        }
        return answer("drop:" + type, object(type, fields));
    }

    private Hostile allFieldsHostile() {
        String type = any(TYPES);
        Map<String, String> fields = fields(type);
        fields.replaceAll((name, value) -> anyValue());
        return answer("all:" + type, object(type, fields));
    }

    private Hostile hostileType() {
        String type = switch (random.nextInt(6)) {
            case 0 -> "\"dance\"";
            case 1 -> "\"START_AGENT\"";
            case 2 -> "\" ping\"";
            case 3 -> "\"" + "t".repeat(5_000) + "\"";
            case 4 -> null;
            default -> anyValue();
        };
        Map<String, String> fields = fields(any(TYPES));
        StringBuilder json = new StringBuilder("{");
        if (type != null) {
            json.append("\"type\":").append(type);
        }
        fields.forEach((name, value) -> json.append(json.length() > 1 ? "," : "").append(quote(name)).append(':').append(value));
        return answer("type", json.append('}').toString());
    }

    private Hostile duplicatedOrExtra() {
        String type = any(TYPES);
        Map<String, String> fields = fields(type);
        String json = object(type, fields);
        String body = json.substring(0, json.length() - 1);
        return switch (random.nextInt(3)) {
            case 0 -> answer("duplicate-type:" + type, body + ",\"type\":" + quote(any(TYPES)) + "}");
            case 1 -> answer("duplicate-field:" + type, body + ",\"run_id\":" + anyValue() + ",\"run_id\":" + anyValue() + "}");
            default -> answer("extra:" + type, body + ",\"__proto__\":{\"admin\":true},\"user_id\":\"someone-else\"}");
        };
    }

    private Hostile notAnObject() {
        String json = switch (random.nextInt(8)) {
            case 0 -> "[]";
            case 1 -> "[{\"type\":\"ping\"}]";
            case 2 -> "\"ping\"";
            case 3 -> "42";
            case 4 -> "null";
            case 5 -> "";
            case 6 -> " \t\r\n ";
            default -> "true";
        };
        return answer("not-object", json);
    }

    private Hostile invalidJson() {
        String validJson = object(any(TYPES), fields(any(TYPES)));
        String json = switch (random.nextInt(9)) {
            case 0 -> validJson.substring(0, 1 + random.nextInt(validJson.length() - 1));
            case 1 -> validJson + "}";
            case 2 -> validJson + " trailing";
            case 3 -> validJson.replace('"', '\'');
            case 4 -> "{\"type\":\"resume\",\"run_id\":\"run_x\",\"after_seq\":NaN}";
            case 5 -> "{\"type\":\"ping\" /* comment */}";
            case 6 -> "{type:ping}";
            case 7 -> "{\"type\":\"ping\",}";
            default -> "{\"type\":\"start_agent\",\"content\":\"unterminated";
        };
        return answer("invalid-json", json);
    }

    private Hostile deepNesting() {
        int depth = 100 + random.nextInt(20_000);
        String json = switch (random.nextInt(3)) {
            case 0 -> "[".repeat(depth) + "]".repeat(depth);
            case 1 -> "{\"type\":\"ping\",\"x\":" + "{\"a\":".repeat(depth / 5) + "1" + "}".repeat(depth / 5) + "}";
            default -> "{\"type\":\"start_agent\",\"content\":\"hi\",\"metadata\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
        };
        return answer("deep", json);
    }

    private Hostile controlCharactersAndLongStrings() {
        String type = any(TYPES);
        Map<String, String> fields = fields(type);
        String field = fields.isEmpty() ? "request_id" : any(new ArrayList<>(fields.keySet()));
        StringBuilder value = new StringBuilder("\"");
        int length = random.nextBoolean() ? 1 + random.nextInt(40) : 1_000 + random.nextInt(50_000);
        for (int i = 0; i < length; i++) {
            int c = random.nextInt(4) == 0 ? random.nextInt(0x20) : 0x20 + random.nextInt(0x2000);
            if (c == '"' || c == '\\' || c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) {
                value.append(String.format("\\u%04x", c));
            } else {
                value.append((char) c);
            }
        }
        fields.put(field, value.append('"').toString());
        String json = object(type, fields);
        return answer("long-or-control:" + type, json);
    }

    private Hostile invalidUtf8() {
        byte[][] bad = {
            {(byte) 0xc3, 0x28}, {(byte) 0xff}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xe2, (byte) 0x82}};
        byte[] head = "{\"type\":\"start_agent\",\"content\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] tail = "\"}".getBytes(StandardCharsets.UTF_8);
        byte[] middle = bad[random.nextInt(bad.length)];
        boolean truncatedAtEnd = random.nextInt(4) == 0;
        byte[] payload = new byte[head.length + middle.length + (truncatedAtEnd ? 0 : tail.length)];
        System.arraycopy(head, 0, payload, 0, head.length);
        System.arraycopy(middle, 0, payload, head.length, middle.length);
        if (!truncatedAtEnd) {
            System.arraycopy(tail, 0, payload, head.length + middle.length, tail.length);
        }
        return new Hostile("invalid-utf8", payload, Expect.CLOSE_1007);
    }

    private Map<String, String> fields(String type) {
        List<String> names = switch (type) {
            case "start_agent" -> List.of("content", "thread_id", "agent", "request_id");
            case "cancel_run" -> List.of("run_id", "request_id");
            case "resume" -> List.of("run_id", "after_seq", "request_id");
            case "subscribe" -> List.of("thread_id", "request_id");
            case "approve_tool" -> List.of("run_id", "tool_call_id", "approved", "reason", "request_id");
            default -> List.of();
        };
        Map<String, String> fields = new LinkedHashMap<>();
        for (String name : names) {
            fields.put(name, valid.get(name));
        }
        return fields;
    }

    private static String object(String type, Map<String, String> fields) {
        StringBuilder json = new StringBuilder("{\"type\":").append(quote(type));
        fields.forEach((name, value) -> json.append(',').append(quote(name)).append(':').append(value));
        return json.append('}').toString();
    }

    private String anyValue() {
        int pick = random.nextInt(VALUES.size() + 3);
        if (pick == VALUES.size()) {
            return "\"" + "x".repeat(10_000 + random.nextInt(40_000)) + "\"";
        } else if (pick == VALUES.size() + 1) {
            return "9".repeat(1 + random.nextInt(5_000));
        } else if (pick == VALUES.size() + 2) {
            return "1" + "0".repeat(random.nextInt(400)) + ".5e" + random.nextInt(100_000);
        }
        return VALUES.get(pick);
    }

    private <T> T any(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static String quote(String text) {
        return "\"" + text + "\"";
    }

    private static Hostile answer(String kind, String json) {
        byte[] payload = json.getBytes(StandardCharsets.UTF_8);
        if (payload.length > 65_536) {
            // The frame limit is FrameLimitTest's; here every frame stays within it.
            payload = "{\"type\":\"ping\",\"note\":\"trimmed\"}".getBytes(StandardCharsets.UTF_8);
        }
        return new Hostile(kind, payload, Expect.ANSWER);
    }
}
