package io.tierfs.migration;

/**
 * A daemon thread that runs rounds until it is stopped: the migrator's and the sealer's. A stop
 * lets the round under way finish; the round asks {@link #stopRequested} between its steps, and
 * {@link #sleep} returns at once when stopped.
 */
public final class BackgroundLoop {
    /** One round; the loop sleeps afterwards for as long as it returns, in nanoseconds. */
    @FunctionalInterface
    public interface Round {
        long run();
    }

    private final Thread thread;
    private volatile boolean stopping;

    public BackgroundLoop(String name, Round round) {
        this.thread = new Thread(() -> {
            while (!stopping) {
                sleep(round.run());
            }
        }, name);
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Whether the loop's thread should stop: false in any other thread, which may go on with the work. */
    public boolean stopRequested() {
        return stopping && Thread.currentThread() == thread;
    }

    /** Sleeps for {@code nanos}, or less if the loop is stopped meanwhile. */
    public void sleep(long nanos) {
        if (nanos <= 0 || stopRequested()) {
            return;
        }
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            // stop() wakes the thread: the loop sees stopping
        }
    }

    /** Stops the thread after the round under way, and waits for it. */
    public void stop() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
