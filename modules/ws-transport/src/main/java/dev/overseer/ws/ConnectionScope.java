package dev.overseer.ws;

import jakarta.inject.Scope;
import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;

/** One instance per WebSocket connection, for as long as the socket is open. */
@Scope
@Documented
@Retention(RetentionPolicy.RUNTIME)
public @interface ConnectionScope {
}
