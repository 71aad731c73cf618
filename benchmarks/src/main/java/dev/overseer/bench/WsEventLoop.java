package dev.overseer.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Comparator;
import java.util.Iterator;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * One selector thread of the benchmark's WebSocket client. Every connection belongs to one loop and is
 * only touched on that loop's thread, so connections need no locks; other threads hand work over with
 * {@link #execute}. The loop shares one read and one write buffer among its connections, which keeps an
 * idle connection down to a few objects.
 */
final class WsEventLoop implements AutoCloseable {
    static final int BUFFER_BYTES = 64 * 1024;

    private record Timer(long deadline, long order, Runnable task) {
    }

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(
            Comparator.comparingLong(Timer::deadline).thenComparingLong(Timer::order));
    final ByteBuffer readBuffer = ByteBuffer.allocate(BUFFER_BYTES);
    final ByteBuffer writeBuffer = ByteBuffer.allocate(BUFFER_BYTES);
    private long timerOrder;
    private int maskState = (int) System.nanoTime() | 1;
    private volatile boolean running = true;

    WsEventLoop(String name) {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        thread = Thread.ofPlatform().name(name).daemon().start(this::loop);
    }

    /** Runs the task on this loop's thread, soon. */
    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** Runs the task on this loop's thread after the delay; call on the loop's thread. */
    void schedule(long delayNanos, Runnable task) {
        timers.add(new Timer(System.nanoTime() + delayNanos, timerOrder++, task));
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    Selector selector() {
        return selector;
    }

    /** A cheap xorshift for frame masks: RFC 6455 wants them unpredictable to proxies, not to us. */
    int nextMask() {
        int x = maskState;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        maskState = x;
        return x;
    }

    private void loop() {
        while (running) {
            try {
                long timeoutMillis = 0;
                if (tasks.isEmpty()) {
                    Timer next = timers.peek();
                    timeoutMillis = next == null ? 1_000
                            : Math.max(1, TimeUnit.NANOSECONDS.toMillis(next.deadline() - System.nanoTime()));
                    selector.select(timeoutMillis);
                } else {
                    selector.selectNow();
                }
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    ((WsConnection) key.attachment()).onReady(key);
                }
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
                long now = System.nanoTime();
                while (!timers.isEmpty() && timers.peek().deadline() <= now) {
                    timers.poll().task().run();
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    System.err.println("client loop " + thread.getName() + ": " + e);
                }
            }
        }
        try {
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
            selector.close();
        } catch (IOException e) {
            // closing at the end of a benchmark; nothing to do
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
