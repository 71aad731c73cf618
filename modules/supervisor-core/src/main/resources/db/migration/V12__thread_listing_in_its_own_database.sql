-- The thread listing moves out (ADR 0015): for an embedded H2 database into a database of its own beside this one,
-- since H2 writes each commit's pages under one lock per database and the listing's commits held up the event
-- writer's. Its schema is the listing's migrations' (db/listing), which recreate the table there, or here when the
-- database is shared (PostgreSQL), without the foreign key to threads that only one database could hold.
DROP TABLE thread_listing;

-- Whether the listing holds every committed change is now a token written to both databases at a clean stop; a
-- start that finds them different (or none) rebuilds the listing from threads. None yet: the first start builds it.
ALTER TABLE thread_listing_state DROP COLUMN in_sync;
ALTER TABLE thread_listing_state ADD COLUMN listing_token VARCHAR(64);
