package io.tierfs.block;

import java.util.function.BooleanSupplier;

/** Waiting on an object's monitor for a condition that those who change it signal with {@code notifyAll}. */
public final class Monitors {
    private Monitors() {
    }

    /**
     * Waits on {@code monitor}, which the caller holds, until {@code done} is true. An interrupt
     * does not end the wait (what is awaited must finish for the caller to go on); it is kept for
     * the caller's thread to see afterwards.
     */
    public static void awaitUntil(Object monitor, BooleanSupplier done) {
        boolean interrupted = false;
        while (!done.getAsBoolean()) {
            try {
                monitor.wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
