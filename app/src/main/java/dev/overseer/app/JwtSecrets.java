package dev.overseer.app;

import dev.overseer.core.auth.JwtSecret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the JWT secret: {@code OVERSEER_JWT_SECRET}, or a random development secret kept in the data dir. */
final class JwtSecrets {
    private static final Logger LOG = LoggerFactory.getLogger(JwtSecrets.class);
    static final String DEV_SECRET_FILE = "dev-secret";

    private JwtSecrets() {
    }

    static JwtSecret resolve(OverseerConfig config) {
        if (config.jwtSecret().isPresent()) {
            return JwtSecret.of(config.jwtSecret().get());
        }
        if (!config.tokens().acceptSecret()) {
            // Only the identity provider's tokens are accepted (ADR 0025): no development secret is made or used,
            // and what this key would sign is refused.
            byte[] random = new byte[48];
            new SecureRandom().nextBytes(random);
            return JwtSecret.of(Base64.getUrlEncoder().withoutPadding().encodeToString(random));
        }
        Path file = config.dataDir().resolve(DEV_SECRET_FILE);
        LOG.warn("OVERSEER_JWT_SECRET is not set; using the development secret in {} (set it in production)", file);
        String secret = readOrCreate(file);
        if (secret.getBytes(StandardCharsets.UTF_8).length < JwtSecret.MIN_BYTES) {
            throw new ConfigException("the development secret " + file + " is shorter than " + JwtSecret.MIN_BYTES
                    + " bytes; delete it to have a new one made, or set OVERSEER_JWT_SECRET");
        }
        return JwtSecret.of(secret);
    }

    private static String readOrCreate(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (!Files.exists(file)) {
                byte[] random = new byte[48];
                new SecureRandom().nextBytes(random);
                String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
                try {
                    Files.writeString(file, secret, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE);
                    restrictPermissions(file);
                } catch (FileAlreadyExistsException raced) {
                    // another process created it first; use theirs
                }
            }
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new ConfigException("OVERSEER_DATA_DIR: cannot read or create the development secret " + file
                    + " (" + e + ")");
        }
    }

    private static void restrictPermissions(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            LOG.debug("could not restrict the permissions of {}", file, e);
        }
    }
}
