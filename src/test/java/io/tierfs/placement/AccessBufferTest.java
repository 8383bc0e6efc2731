package io.tierfs.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AccessBufferTest {

    @Test
    void dropsAndCountsWhenFullThenTakesMoreOnceDrained() {
        AccessBuffer buffer = new AccessBuffer(1, 8);
        for (long k = 0; k < 8; k++) {
            assertTrue(buffer.offer(k));
        }
        assertFalse(buffer.offer(8));
        assertFalse(buffer.offer(9));
        assertEquals(2, buffer.dropped());
        List<Long> seen = new ArrayList<>();
        assertEquals(8, buffer.drainTo(seen::add));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), seen);
        assertTrue(buffer.offer(10));
        assertEquals(1, buffer.drainTo(k -> assertEquals(10, k)));
        assertEquals(0, buffer.drainTo(k -> { }));
    }

    @Test
    void concurrentProducersLoseNothingWhileTheConsumerKeepsUp() throws Exception {
        int producers = 4;
        int perProducer = 200_000;
        AccessBuffer buffer = new AccessBuffer(8, 1 << 16);
        long[] sums = new long[1];
        long[] count = new long[1];
        CountDownLatch done = new CountDownLatch(producers);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            long base = (long) p * perProducer;
            threads.add(new Thread(() -> {
                for (long k = base; k < base + perProducer; k++) {
                    while (!buffer.offer(k)) {
                        Thread.onSpinWait(); // full: this test wants every key, a worker would move on
                    }
                }
                done.countDown();
            }));
        }
        threads.forEach(Thread::start);
        while (done.getCount() > 0 || count[0] < (long) producers * perProducer) {
            buffer.drainTo(k -> {
                sums[0] += k;
                count[0]++;
            });
        }
        long n = (long) producers * perProducer;
        assertEquals(n, count[0]);
        assertEquals(n * (n - 1) / 2, sums[0], "every key exactly once");
    }

    @Test
    void concurrentProducersIntoAFullBufferCountEveryDrop() throws Exception {
        int producers = 4;
        int perProducer = 100_000;
        AccessBuffer buffer = new AccessBuffer(2, 64);
        AtomicLong accepted = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            threads.add(new Thread(() -> {
                long mine = 0;
                for (int i = 0; i < perProducer; i++) {
                    mine += buffer.offer(i) ? 1 : 0;
                }
                accepted.addAndGet(mine);
            }));
        }
        threads.forEach(Thread::start);
        long drained = 0;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            drained += buffer.drainTo(k -> { });
        }
        for (Thread t : threads) {
            t.join();
        }
        drained += buffer.drainTo(k -> { });
        assertEquals(accepted.get(), drained, "what was accepted was delivered");
        assertEquals((long) producers * perProducer, accepted.get() + buffer.dropped(), "and everything else counted as dropped");
        assertTrue(buffer.dropped() > 0, "a slow consumer of a 128-slot buffer makes producers drop");
    }
}
