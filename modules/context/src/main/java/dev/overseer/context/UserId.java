package dev.overseer.context;

/** The id of a user: the {@code sub} claim of their token, any printable text up to 128 characters. */
public record UserId(String value) {
    public UserId {
        IdFormat.requireWellFormed("user id", value);
    }

    @Override
    public String toString() {
        return value;
    }
}
