package dev.overseer.core.store;

/** A list cursor that this server did not hand out. */
public final class InvalidCursorException extends IllegalArgumentException {
    public InvalidCursorException() {
        super("cursor is not one this server handed out");
    }
}
