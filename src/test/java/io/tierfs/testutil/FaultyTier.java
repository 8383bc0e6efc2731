package io.tierfs.testutil;

import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.NativeIOException;
import io.tierfs.tier.Tier;
import io.tierfs.tier.TierFile;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tier that fails on request, or says it is gone. Its files' next sync fails once with EIO when armed, and then
 * succeeds again: what the kernel does after a failed write-back, which it reports once and
 * forgets. Deleting a file, or making deletions durable, fails with EIO while switched off. It
 * also counts the calls made on its files, by method name, and can pause a thread after one.
 */
public final class FaultyTier {
    private final AtomicBoolean failNextSync = new AtomicBoolean();
    private volatile Runnable whileFailing = () -> { };
    private volatile boolean failDeletes;
    private volatile boolean gone;
    private volatile boolean failDeleteSyncs;
    private final AtomicInteger failedDeletes = new AtomicInteger();
    private final Map<String, AtomicInteger> fileCalls = new ConcurrentHashMap<>();
    private final Map<String, Runnable> afterNext = new ConcurrentHashMap<>();
    private final Tier tier;

    public FaultyTier(Tier delegate) {
        this.tier = forwarding(Tier.class, (m, args) -> {
            if (m.getName().equals("delete") && failDeletes) {
                failedDeletes.incrementAndGet();
                throw new NativeIOException("unlink (injected)", Errno.EIO);
            }
            if (m.getName().equals("unavailableReason") && gone) {
                return "gone (injected)";
            }
            if (m.getName().equals("syncDeletes") && failDeleteSyncs) {
                throw new NativeIOException("fsync of a directory (injected)", Errno.EIO);
            }
            Object result = m.invoke(delegate, args);
            if (!m.getName().equals("open")) {
                return result;
            }
            TierFile file = (TierFile) result;
            return forwarding(TierFile.class, (fm, fargs) -> {
                if (fm.getName().equals("sync") && failNextSync.compareAndSet(true, false)) {
                    whileFailing.run();
                    throw new NativeIOException("fdatasync (injected)", Errno.EIO);
                }
                fileCalls.computeIfAbsent(fm.getName(), k -> new AtomicInteger()).incrementAndGet();
                Object r = fm.invoke(file, fargs);
                Runnable after = afterNext.remove(fm.getName());
                if (after != null) {
                    after.run();
                }
                return r;
            });
        });
    }

    public Tier tier() {
        return tier;
    }

    /** Whether the tier says it is unavailable (its directory gone), as a tier whose disk left does. */
    public void setGone(boolean gone) {
        this.gone = gone;
    }

    /** The next sync of any of this tier's files fails. */
    public void failNextSync() {
        failNextSync(() -> { });
    }

    /** The next sync fails, after running {@code whileFailing} (in the failing sync's thread). */
    public void failNextSync(Runnable whileFailing) {
        this.whileFailing = whileFailing;
        failNextSync.set(true);
    }

    /** Runs {@code action} once, in the caller's thread, right after the next call of {@code method} on a file returns. */
    public void afterNextFileCall(String method, Runnable action) {
        afterNext.put(method, action);
    }

    /** A step of a test that may throw. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /**
     * Runs {@code first} in a thread of its own and, once its next call of {@code method} on
     * this tier's files has returned, {@code second} in the caller's thread, before {@code first}
     * goes on: the two interleave at that point every time.
     */
    public void interleave(String method, Action first, Action second) throws Exception {
        CountDownLatch firstThere = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        afterNextFileCall(method, () -> {
            firstThere.countDown();
            try {
                secondDone.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> firstDone = pool.submit(() -> {
                first.run();
                return null;
            });
            if (!firstThere.await(30, TimeUnit.SECONDS)) {
                firstDone.get(); // its failure, if it failed before the call
                throw new AssertionError("the first action never called " + method);
            }
            try {
                second.run();
            } finally {
                secondDone.countDown();
            }
            firstDone.get();
        } finally {
            pool.shutdown();
        }
    }

    /** Whether deleting a file fails from now on. */
    public void failDeletes(boolean fail) {
        failDeletes = fail;
    }

    /** Whether making deletions durable fails from now on. */
    public void failDeleteSyncs(boolean fail) {
        failDeleteSyncs = fail;
    }

    /** How many deletes have failed so far. */
    public int failedDeletes() {
        return failedDeletes.get();
    }

    /** How many times {@code method} was called on this tier's files ("read", "startWriteBack"...). */
    public int fileCalls(String method) {
        AtomicInteger n = fileCalls.get(method);
        return n == null ? 0 : n.get();
    }

    /** Whether the armed failure was delivered. */
    public boolean failureDelivered() {
        return !failNextSync.get();
    }

    @FunctionalInterface
    private interface Call {
        Object call(Method m, Object[] args) throws Throwable;
    }

    private static <T> T forwarding(Class<T> type, Call call) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
            try {
                return call.call(m, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }
}
