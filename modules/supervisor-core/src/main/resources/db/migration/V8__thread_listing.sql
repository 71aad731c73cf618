-- The index behind GET /api/threads moves out of threads into a table of its own, kept in step by one background
-- thread (ThreadListing, ADR 0012) instead of by every write. Ordered by user, it gained an entry at one place per
-- user, so every commit of the event writer rewrote one of its pages per user starting runs.
CREATE TABLE thread_listing (
    thread_id  VARCHAR(64)  NOT NULL PRIMARY KEY REFERENCES threads (id) ON DELETE CASCADE,
    user_id    VARCHAR(128) NOT NULL,
    updated_at BIGINT       NOT NULL
);
INSERT INTO thread_listing (thread_id, user_id, updated_at) SELECT id, user_id, updated_at FROM threads;
CREATE INDEX thread_listing_by_user ON thread_listing (user_id, updated_at, thread_id);
DROP INDEX threads_by_user_recency;

-- Whether thread_listing holds every committed change: false while a server runs (it keeps the latest changes in
-- memory for a moment), true after a clean stop. A start that finds false rebuilds the listing from threads.
CREATE TABLE thread_listing_state (
    id      INTEGER NOT NULL PRIMARY KEY,
    in_sync BOOLEAN NOT NULL
);
INSERT INTO thread_listing_state (id, in_sync) VALUES (1, TRUE);
