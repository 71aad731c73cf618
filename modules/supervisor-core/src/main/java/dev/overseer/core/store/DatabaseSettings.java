package dev.overseer.core.store;

import java.util.Objects;

/** Where the database is and how many connections the pool may hold. */
public record DatabaseSettings(String jdbcUrl, String user, String password, int maxPoolSize) {
    public DatabaseSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        user = user == null ? "" : user;
        password = password == null ? "" : password;
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("maxPoolSize must be at least 1");
        }
    }

    @Override
    public String toString() {
        return "DatabaseSettings[" + jdbcUrl + ", user=" + user + ", pool=" + maxPoolSize + "]";
    }
}
