package dev.overseer.core.model;

/** Receives a model's answer text as it is produced, piece by piece, on the run's thread. */
@FunctionalInterface
public interface TextStream {
    TextStream IGNORE = text -> {
    };

    void delta(String text);
}
