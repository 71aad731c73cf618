package dev.overseer.core.tool;

/** A tool call that could not produce a result; the message goes back to the model and into the event. */
public final class ToolException extends Exception {
    public ToolException(String message) {
        super(message, null, false, false);
    }
}
