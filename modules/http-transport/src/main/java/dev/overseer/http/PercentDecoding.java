package dev.overseer.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Strict percent-decoding of the request target (RFC 3986 §2.1) into UTF-8 text. Undertow is told not to decode
 * ({@code DECODE_URL=false}): its parser answers a malformed escape with a bare 400 and no detail, while here it is
 * an {@code invalid_request} problem naming the part of the target at fault (docs/http-api.md). For well-formed
 * targets the result is what Undertow's own decoding gives: {@code %2F} stays encoded in the path, so an escaped
 * slash never splits a segment, and {@code +} is a space only in the query.
 */
final class PercentDecoding {
    private PercentDecoding() {
    }

    /** The decoded path; {@code %2F} is kept as it is. */
    static String path(String raw) throws ApiProblem {
        return decode(raw, false, "the request path");
    }

    /** The decoded query parameters, names and values, in their order. */
    static Map<String, Deque<String>> query(Map<String, Deque<String>> raw) throws ApiProblem {
        Map<String, Deque<String>> decoded = new LinkedHashMap<>();
        for (Map.Entry<String, Deque<String>> parameter : raw.entrySet()) {
            String name = decode(parameter.getKey(), true, "a query parameter name");
            Deque<String> values = decoded.computeIfAbsent(name, n -> new ArrayDeque<>());
            for (String value : parameter.getValue()) {
                values.add(decode(value, true, "query parameter '" + name + "'"));
            }
        }
        return decoded;
    }

    private static String decode(String raw, boolean query, String what) throws ApiProblem {
        if (isPlain(raw, query)) {
            return raw;
        }
        byte[] bytes = new byte[raw.length()];
        int length = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int high = i + 1 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int low = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (high < 0 || low < 0) {
                    throw ApiProblem.badRequest(what + " has a malformed percent-encoding at offset " + i
                            + ": '%' must be followed by two hexadecimal digits");
                }
                int b = high << 4 | low;
                if (b == '/' && !query) {
                    bytes[length++] = '%';
                    bytes[length++] = (byte) raw.charAt(i + 1);
                    bytes[length++] = (byte) raw.charAt(i + 2);
                } else {
                    bytes[length++] = (byte) b;
                }
                i += 2;
            } else if (c == '+' && query) {
                bytes[length++] = ' ';
            } else {
                // Undertow hands the target over byte for byte, each byte one char.
                bytes[length++] = (byte) c;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiProblem.badRequest(what + " is not UTF-8 once percent-decoded");
        }
    }

    private static boolean isPlain(String raw, boolean query) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' || c > 0x7F || (query && c == '+')) {
                return false;
            }
        }
        return true;
    }
}
