package dev.overseer.context;

/** Thrown when a string cannot be an id of the expected kind; the message says why, for the client. */
public final class InvalidIdException extends IllegalArgumentException {
    public InvalidIdException(String message) {
        super(message);
    }
}
