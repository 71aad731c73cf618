package dev.overseer.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The browser playground and the JavaScript client's sources, served from the jar as they are: {@code /} is the
 * playground's page, {@code /playground/{file}} its assets, {@code /client/{file}} the modules of
 * {@code @overseer/client}. Only flat file names with a known extension are looked up, so a path can never
 * leave these two folders.
 */
final class StaticFiles {
    static final String ROOT = "/";
    static final String PLAYGROUND = "/playground/{file}";
    static final String CLIENT = "/client/{file}";
    static final String ALLOWED_METHODS = "GET, HEAD";
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final String RESOURCES = "/dev/overseer/http/";
    private static final String PLAYGROUND_PREFIX = "/playground/";
    private static final String CLIENT_PREFIX = "/client/";
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}");
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png");
    private static final HttpString CSP_HEADER = HttpString.tryFromString("Content-Security-Policy");
    private static final HttpString NOSNIFF_HEADER = HttpString.tryFromString("X-Content-Type-Options");
    private static final HttpString REFERRER_POLICY_HEADER = HttpString.tryFromString("Referrer-Policy");

    /** A file read from the jar once: its bytes, type and strong ETag. */
    record StaticFile(byte[] bytes, String contentType, String etag) {
    }

    /** Only files found are kept: names that miss are not remembered, so requests cannot fill it. */
    private final Map<String, StaticFile> cache = new ConcurrentHashMap<>();

    /** The route template of a decoded path, or null when the path is not one of these routes. */
    static String routeOf(String path) {
        if (path.equals(ROOT)) {
            return ROOT;
        }
        if (path.startsWith(PLAYGROUND_PREFIX) && path.length() > PLAYGROUND_PREFIX.length()) {
            return PLAYGROUND;
        }
        if (path.startsWith(CLIENT_PREFIX) && path.length() > CLIENT_PREFIX.length()) {
            return CLIENT;
        }
        return null;
    }

    /** The file a decoded path names, if it was read before; null when it must be looked up with {@link #find}. */
    StaticFile cached(String path) {
        String resource = resourceOf(path);
        return resource == null ? null : cache.get(resource);
    }

    /** The file a decoded path names, if there is one in the jar (reads the jar: not on an I/O thread). */
    Optional<StaticFile> find(String path) {
        String resource = resourceOf(path);
        if (resource == null) {
            return Optional.empty();
        }
        StaticFile known = cache.get(resource);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<StaticFile> loaded = load(resource);
        loaded.ifPresent(file -> cache.putIfAbsent(resource, file));
        return loaded;
    }

    /** The resource under {@link #RESOURCES} a decoded path names, or null. */
    private static String resourceOf(String path) {
        if (path.equals(ROOT)) {
            return "playground/index.html";
        }
        if (path.startsWith(PLAYGROUND_PREFIX)) {
            return fileName(path.substring(PLAYGROUND_PREFIX.length()), "playground/");
        }
        if (path.startsWith(CLIENT_PREFIX)) {
            return fileName(path.substring(CLIENT_PREFIX.length()), "client/");
        }
        return null;
    }

    /** Adds the headers every answer on these routes carries, the problems included. */
    static void secure(HttpServerExchange exchange) {
        HeaderMap headers = exchange.getResponseHeaders();
        headers.put(CSP_HEADER, CONTENT_SECURITY_POLICY);
        headers.put(NOSNIFF_HEADER, "nosniff");
        headers.put(REFERRER_POLICY_HEADER, "no-referrer");
    }

    /** Answers with the file, or 304 when the client's copy has the same ETag. */
    static void send(HttpServerExchange exchange, StaticFile file) {
        HeaderMap headers = exchange.getResponseHeaders();
        headers.put(Headers.ETAG, file.etag());
        // Revalidated on every load: the files change with each release while their names stay.
        headers.put(Headers.CACHE_CONTROL, "no-cache");
        String ifNoneMatch = exchange.getRequestHeaders().getFirst(Headers.IF_NONE_MATCH);
        if (ifNoneMatch != null && matches(ifNoneMatch, file.etag())) {
            exchange.setStatusCode(304);
            exchange.endExchange();
            return;
        }
        exchange.setStatusCode(200);
        headers.put(Headers.CONTENT_TYPE, file.contentType());
        headers.put(Headers.CONTENT_LENGTH, file.bytes().length);
        exchange.getResponseSender().send(ByteBuffer.wrap(file.bytes()));
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.strip();
            if (tag.equals("*") || tag.equals(etag) || tag.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    private static String fileName(String name, String folder) {
        if (!FILE_NAME.matcher(name).matches() || name.contains("..")) {
            return null;
        }
        int dot = name.lastIndexOf('.');
        if (dot < 0 || !CONTENT_TYPES.containsKey(name.substring(dot + 1))) {
            return null;
        }
        return folder + name;
    }

    private static Optional<StaticFile> load(String resource) {
        try (InputStream in = StaticFiles.class.getResourceAsStream(RESOURCES + resource)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            String extension = resource.substring(resource.lastIndexOf('.') + 1);
            return Optional.of(new StaticFile(bytes, CONTENT_TYPES.get(extension), etag(bytes)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
