package dev.overseer.core.model;

import java.time.Instant;

/**
 * What a readiness check last found of the model's endpoint: {@code ok} (it answered), {@code error} (it answered
 * with an error status, e.g. a wrong key) or {@code unreachable}; {@code detail} says what, never with the key.
 */
public record ModelHealth(String state, String detail, Instant checkedAt) {
    public static final String OK = "ok";
    public static final String ERROR = "error";
    public static final String UNREACHABLE = "unreachable";
}
