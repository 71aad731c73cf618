package dev.overseer.core.model;

/** The model could not answer; {@code code} becomes the run's failure code. */
public final class ModelException extends Exception {
    private final String code;

    public ModelException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
