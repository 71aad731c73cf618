package dev.overseer.core.model;

/** Tokens a model used: what it read (prompt) and what it wrote (completion). */
public record TokenUsage(long promptTokens, long completionTokens) {
    public static final TokenUsage NONE = new TokenUsage(0, 0);

    public TokenUsage plus(TokenUsage other) {
        return other == null ? this : new TokenUsage(promptTokens + other.promptTokens, completionTokens + other.completionTokens);
    }
}
