package dev.overseer.core.auth;

/** A credential was missing, malformed, expired or badly signed; the message is safe to show the client. */
public final class AuthenticationException extends Exception {
    public AuthenticationException(String message) {
        super(message, null, false, false);
    }
}
