-- GET /api/threads reads threads through an index again (ADR 0019, superseding ADRs 0012 and 0015): the listing
-- copied in the background, its second database and its clean-stop token are gone. Where the listing shared this
-- database (PostgreSQL), its tables and its migration history are dropped here; an embedded H2's listing file
-- beside this one is no longer opened.
CREATE INDEX threads_by_user_recency ON threads (user_id, updated_at, id);
DROP TABLE thread_listing_state;
DROP TABLE IF EXISTS thread_listing;
DROP TABLE IF EXISTS thread_listing_token;
DROP TABLE IF EXISTS listing_schema_history;
