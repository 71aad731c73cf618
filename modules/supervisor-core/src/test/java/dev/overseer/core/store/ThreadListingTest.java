package dev.overseer.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The thread listing behind {@code GET /api/threads} (ADR 0012), in a database of its own beside the in-memory
 * H2 of these tests (ADR 0015): written in the background, yet a listing shows every change committed before
 * it; rebuilt at start unless the last stop was clean and left the same listing.
 */
@Timeout(30)
class ThreadListingTest {
    private static final UserId ALICE = new UserId("alice");
    private static final UserId BOB = new UserId("bob");
    /** Long enough that only a reader's request, never the timer, writes the listing within a test. */
    private static final Duration NEVER = Duration.ofHours(1);

    private final Database database = InMemoryDatabases.open("listing", new SimpleMeterRegistry());
    private ThreadListing listing;
    private ThreadStore threads;

    private ThreadStore threads(Duration interval) {
        database.migrate();
        listing = new ThreadListing(database.jdbi(), database.listingJdbi(), interval);
        listing.recover();
        threads = new ThreadStore(database.jdbi(), listing);
        return threads;
    }

    /** The listing of the next process on the same databases, never written by its timer. */
    private ThreadListing nextStart() {
        return new ThreadListing(database.jdbi(), database.listingJdbi(), NEVER);
    }

    /** What that process lists for the user. */
    private List<ThreadId> listedBy(ThreadListing next, UserId user) {
        return ids(new ThreadStore(database.jdbi(), next).list(user, null, 10));
    }

    @AfterEach
    void close() {
        if (listing != null) {
            listing.close();
        }
        InMemoryDatabases.close(database);
    }

    private static ThreadRecord thread(UserId user, long updatedAt) {
        Instant at = Instant.ofEpochMilli(updatedAt);
        return new ThreadRecord(ThreadId.generate(), user, null, "{}", null, at, at);
    }

    private static List<ThreadId> ids(Page<ThreadRecord> page) {
        return page.items().stream().map(ThreadRecord::id).toList();
    }

    private int listedRows() {
        return database.listingJdbi().withHandle(handle ->
                handle.createQuery("SELECT COUNT(*) FROM thread_listing").mapTo(Integer.class).one());
    }

    @Test
    void aListing_showsEveryThreadChangeCommittedBeforeIt_newestFirst() {
        ThreadStore store = threads(NEVER);
        ThreadRecord first = thread(ALICE, 1_000);
        ThreadRecord second = thread(ALICE, 2_000);
        ThreadRecord bobs = thread(BOB, 3_000);
        store.insert(first);
        store.insert(second);
        store.insert(bobs);
        assertThat(listedRows()).isZero(); // nothing written yet: the listing thread was not asked

        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(second.id(), first.id());
        assertThat(ids(store.list(BOB, null, 10))).containsExactly(bobs.id());

        store.update(ALICE, first.id(), "renamed", false, null, 4_000).orElseThrow();
        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(first.id(), second.id());
        assertThat(store.list(ALICE, null, 10).items().get(0).title()).isEqualTo("renamed");
    }

    @Test
    void runsOnAThread_moveItUpWhenClaimedAndWhenReleased() {
        ThreadStore store = threads(NEVER);
        ThreadRecord older = thread(ALICE, 1_000);
        ThreadRecord newer = thread(ALICE, 2_000);
        store.insert(older);
        store.insert(newer);
        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(newer.id(), older.id());

        RunId run = RunId.generate();
        database.jdbi().useTransaction(handle -> assertThat(store.claim(handle, List.of(new ThreadRecord(older.id(),
                ALICE, null, null, run, null, Instant.ofEpochMilli(3_000))))).containsExactly(true));
        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(older.id(), newer.id());

        database.jdbi().useTransaction(handle -> store.claim(handle, List.of(new ThreadRecord(newer.id(), ALICE, null,
                null, RunId.generate(), null, Instant.ofEpochMilli(4_000)))));
        database.jdbi().useTransaction(handle -> store.release(handle, List.of(new RunFinish(run, older.id(),
                RunStatus.COMPLETED, Instant.ofEpochMilli(5_000), "42", null, null, null))));
        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(older.id(), newer.id());
        assertThat(store.list(ALICE, null, 10).items().get(0).updatedAt()).isEqualTo(Instant.ofEpochMilli(5_000));
    }

    @Test
    void aRolledBackChange_isNotListed_andAChangeOutsideATransactionIsRefusedBeforeItIsWritten() {
        ThreadStore store = threads(NEVER);
        ThreadRecord kept = thread(ALICE, 1_000);
        store.insert(kept);
        assertThatThrownBy(() -> database.jdbi().useTransaction(handle -> {
            store.insert(handle, List.of(thread(ALICE, 2_000)));
            throw new IllegalStateException("rolled back");
        })).hasMessage("rolled back");

        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(kept.id());
        assertThatThrownBy(() -> database.jdbi().useHandle(handle -> store.insert(handle, List.of(thread(ALICE, 3_000)))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("transaction");
        int stored = database.jdbi().withHandle(handle -> handle.createQuery("SELECT COUNT(*) FROM threads")
                .mapTo(Integer.class).one());
        assertThat(stored).isEqualTo(1);
    }

    @Test
    void aThreadDeletedWhilePending_isNeitherListedNorAnError() {
        ThreadStore store = threads(NEVER);
        ThreadRecord doomed = thread(ALICE, 1_000);
        ThreadRecord kept = thread(ALICE, 2_000);
        store.insert(doomed);
        store.insert(kept);
        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(kept.id(), doomed.id());

        store.update(ALICE, doomed.id(), "touched", false, null, 3_000).orElseThrow();
        assertThat(store.delete(ALICE, doomed.id())).isEqualTo(ThreadStore.Deletion.DELETED);

        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(kept.id());
        assertThat(listedRows()).isEqualTo(1);
    }

    @Test
    void pagesFollowTheListingsOrder_withTheCursorOfTheLastRow() {
        ThreadStore store = threads(NEVER);
        ThreadRecord a = thread(ALICE, 1_000);
        ThreadRecord b = thread(ALICE, 2_000);
        ThreadRecord c = thread(ALICE, 2_000);
        for (ThreadRecord thread : List.of(a, b, c)) {
            store.insert(thread);
        }
        // Same updated_at: the greater id comes first.
        boolean cFirst = c.id().value().compareTo(b.id().value()) > 0;
        Page<ThreadRecord> first = store.list(ALICE, null, 2);
        assertThat(ids(first)).containsExactly(cFirst ? c.id() : b.id(), cFirst ? b.id() : c.id());
        Page<ThreadRecord> second = store.list(ALICE, first.nextCursor(), 2);
        assertThat(ids(second)).containsExactly(a.id());
        assertThat(second.nextCursor()).isNull();
    }

    @Test
    void aWriteWhoseCommitLandedButReportedFailure_isReplacedByTheNextOne_notInsertedTwice() {
        database.migrate();
        AtomicBoolean failNextCommit = new AtomicBoolean();
        listing = new ThreadListing(database.jdbi(), Jdbi.create(() -> commitThatMayReportFailure(
                database.listingDataSource().getConnection(), failNextCommit)), NEVER);
        listing.recover();
        ThreadStore store = new ThreadStore(database.jdbi(), listing);
        ThreadRecord created = thread(ALICE, 1_000);
        store.insert(created);

        failNextCommit.set(true);
        assertThatThrownBy(() -> store.list(ALICE, null, 10)).hasRootCauseMessage("commit reported lost");
        assertThat(listedRows()).isEqualTo(1); // it landed all the same

        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(created.id());
        assertThat(listedRows()).isEqualTo(1);
    }

    /** A connection whose next commit, once armed, commits and then reports failure, as a lost reply would. */
    private static Connection commitThatMayReportFailure(Connection connection, AtomicBoolean armed) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("commit") && armed.compareAndSet(true, false)) {
                        throw new SQLException("commit reported lost");
                    }
                    return result;
                });
    }

    @Test
    void pendingThreads_areWrittenByTheListingThreadWithoutAReader() throws Exception {
        ThreadStore store = threads(Duration.ofMillis(20));
        store.insert(thread(ALICE, 1_000));
        store.insert(thread(BOB, 2_000));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (listedRows() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(listedRows()).isEqualTo(2);
    }

    @Test
    void aCleanStop_leavesTheListingInSync_andTheNextStartRepairsNothing() {
        ThreadStore store = threads(NEVER);
        ThreadRecord thread = thread(ALICE, 1_000);
        store.insert(thread);
        listing.close(); // writes what is pending

        ThreadListing next = nextStart();
        try {
            assertThat(next.recover()).isZero();
            assertThat(listedBy(next, ALICE)).containsExactly(thread.id());
        } finally {
            next.close();
        }
    }

    @Test
    void aStartAfterAnUncleanStop_rebuildsTheListingFromThreads() {
        ThreadStore store = threads(NEVER);
        ThreadRecord listed = thread(ALICE, 1_000);
        ThreadRecord stale = thread(ALICE, 2_000);
        store.insert(listed);
        store.insert(stale);
        store.list(ALICE, null, 10); // both written
        // What a crash can leave: a change and a new thread committed, still pending in memory, now lost.
        database.jdbi().useHandle(handle -> {
            handle.execute("UPDATE threads SET updated_at = 5000 WHERE id = ?", stale.id().value());
            handle.execute("INSERT INTO threads (id, user_id, metadata, created_at, updated_at) VALUES (?, ?, '{}', 4000, 4000)",
                    "thr_lost", ALICE.value());
        });

        ThreadListing afterCrash = nextStart();
        try {
            assertThat(afterCrash.recover()).isEqualTo(3); // the stale row deleted, it and the lost one inserted
            assertThat(listedBy(afterCrash, ALICE))
                    .containsExactly(stale.id(), new ThreadId("thr_lost"), listed.id());
            assertThat(afterCrash.recover()).isZero(); // marked out of sync while running, but nothing to repair
        } finally {
            afterCrash.close();
        }
    }

    @Test
    void upgrading_listsTheThreadsThatExistedBefore() {
        org.flywaydb.core.Flyway.configure().dataSource(database.dataSource()).locations("classpath:db/migration")
                .placeholders(Map.of("messagePositionCache", "1")).target("7").load().migrate();
        database.jdbi().useHandle(handle -> handle.execute(
                "INSERT INTO threads (id, user_id, metadata, created_at, updated_at) VALUES ('thr_old', 'alice', '{}', 1, 7)"));

        ThreadStore store = threads(NEVER);

        assertThat(ids(store.list(ALICE, null, 10))).containsExactly(new ThreadId("thr_old"));
        assertThat(listing.recover()).isZero();
    }

    @Test
    void aThreadGoneFromThreadsButStillListed_isLeftOut_andThePageFilledFromFurtherDown() {
        ThreadStore store = threads(NEVER);
        ThreadRecord oldest = thread(ALICE, 1_000);
        ThreadRecord middle = thread(ALICE, 2_000);
        ThreadRecord newest = thread(ALICE, 3_000);
        for (ThreadRecord thread : List.of(oldest, middle, newest)) {
            store.insert(thread);
        }
        assertThat(ids(store.list(ALICE, null, 10))).hasSize(3); // all three copied
        // Deleted between a listing's two reads: still in the listing, gone from threads.
        database.jdbi().useHandle(handle -> handle.execute("DELETE FROM threads WHERE id = ?", middle.id().value()));

        Page<ThreadRecord> first = store.list(ALICE, null, 2);
        assertThat(ids(first)).containsExactly(newest.id(), oldest.id());
        assertThat(first.nextCursor()).isNull();
        Page<ThreadRecord> one = store.list(ALICE, null, 1);
        assertThat(ids(one)).containsExactly(newest.id());
        assertThat(ids(store.list(ALICE, one.nextCursor(), 1))).containsExactly(oldest.id());
    }

    @Test
    void aListingNotLeftByTheLastCleanStop_isRebuilt_asAfterARestoredBackupOrALostListingFile() {
        ThreadStore store = threads(NEVER);
        ThreadRecord kept = thread(ALICE, 1_000);
        ThreadRecord dropped = thread(ALICE, 2_000);
        store.insert(kept);
        store.insert(dropped);
        listing.close();
        // The main database comes back from a backup taken before the second thread; the listing still lists it.
        database.jdbi().useHandle(handle -> {
            handle.execute("DELETE FROM threads WHERE id = ?", dropped.id().value());
            handle.execute("UPDATE thread_listing_state SET listing_token = 'token-of-the-backup'");
        });
        ThreadListing restored = nextStart();
        try {
            assertThat(restored.recover()).isEqualTo(1);
            assertThat(listedBy(restored, ALICE)).containsExactly(kept.id());
        } finally {
            restored.close();
        }

        // The listing's database is lost: a new one is created empty, and filled at the next start.
        database.listingJdbi().useHandle(handle -> {
            handle.execute("DELETE FROM thread_listing");
            handle.execute("UPDATE thread_listing_token SET token = NULL");
        });
        ThreadListing refilled = nextStart();
        try {
            assertThat(refilled.recover()).isEqualTo(1);
            assertThat(listedBy(refilled, ALICE)).containsExactly(kept.id());
        } finally {
            refilled.close();
        }
    }

    @Test
    void aRebuild_comparesTheThreadsInStepsAndWritesOnlyWhatDiffers() {
        ThreadStore store = threads(NEVER);
        int count = 2_500; // three steps
        database.jdbi().useTransaction(handle -> store.insert(handle, java.util.stream.IntStream.range(0, count)
                .mapToObj(i -> thread(i % 2 == 0 ? ALICE : BOB, 1_000 + i)).toList()));
        assertThat(ids(store.list(ALICE, null, 5_000))).hasSize(count / 2);
        listing.close();
        database.jdbi().useHandle(handle -> {
            handle.execute("UPDATE thread_listing_state SET listing_token = NULL"); // as after a crash
            handle.execute("UPDATE threads SET updated_at = updated_at + 10000 WHERE user_id = 'bob'");
        });

        ThreadListing afterCrash = nextStart();
        try {
            assertThat(afterCrash.recover()).isEqualTo(2 * count / 2); // Bob's rows deleted and inserted again
            ThreadStore next = new ThreadStore(database.jdbi(), afterCrash);
            assertThat(next.list(BOB, null, 1).items().get(0).updatedAt())
                    .isEqualTo(Instant.ofEpochMilli(1_000 + count - 1 + 10_000));
            assertThat(ids(next.list(ALICE, null, 5_000))).hasSize(count / 2);
            assertThat(listedRows()).isEqualTo(count);
        } finally {
            afterCrash.close();
        }
    }
}
