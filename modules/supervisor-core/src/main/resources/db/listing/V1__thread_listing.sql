-- The index behind GET /api/threads (ADR 0012, ADR 0015): each thread's user and last update, ordered by user,
-- kept in step with threads by one background thread. Its own database for an embedded H2; else the main one.
CREATE TABLE thread_listing (
    thread_id  VARCHAR(64)  NOT NULL PRIMARY KEY,
    user_id    VARCHAR(128) NOT NULL,
    updated_at BIGINT       NOT NULL
);
CREATE INDEX thread_listing_by_user ON thread_listing (user_id, updated_at, thread_id);

-- The token of the clean stop that left this listing complete; the main database's thread_listing_state holds the
-- same token until the next start. NULL: never written, so the next start rebuilds the listing.
CREATE TABLE thread_listing_token (
    id    INTEGER NOT NULL PRIMARY KEY,
    token VARCHAR(64)
);
INSERT INTO thread_listing_token (id, token) VALUES (1, NULL);
