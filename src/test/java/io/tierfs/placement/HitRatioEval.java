package io.tierfs.placement;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Evaluation harness, not a test: level 0's hit ratio against LRU, Caffeine's adaptive W-TinyLFU
 * and Belady's OPT on trace files, one row per trace and size, with a mark where level 0 falls more
 * than a point under the better of LRU and Caffeine. Run from the test classpath:
 *
 * <pre>
 * mvn -q dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -cp target/classes:target/test-classes:$(cat cp.txt) io.tierfs.placement.HitRatioEval \
 *     [-threads N] [-format plain|msr|blkparse] [-sizes 100,250,...] [-tierfs-only | -shares] trace...
 * </pre>
 *
 * Without {@code -sizes}, a trace is run at 100..2000 blocks if it touches at most 100k distinct
 * blocks, else at 1/1000, 1/100 and 1/10 of its distinct blocks. msr and blkparse traces are cut
 * into 4 KiB blocks. {@code -tierfs-only} skips the references and prints the time per access;
 * {@code -shares} prints level 0's hit ratio with the window fixed at shares from 1% to 99% instead.
 * Public traces (LIRS, ARC, cache2k, CloudPhysics...) are not in the repository: convert them to
 * one block number a line.
 */
public final class HitRatioEval {
    private HitRatioEval() {
    }

    public static void main(String[] args) throws Exception {
        int threads = 1;
        long[] sizes = null;
        boolean skipReferences = false;
        boolean fixedShares = false;
        TraceFormat format = TraceFormat.PLAIN;
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-threads" -> threads = Integer.parseInt(args[++i]);
                case "-sizes" -> sizes = Arrays.stream(args[++i].split(",")).mapToLong(Long::parseLong).toArray();
                case "-format" -> format = TraceFormat.valueOf(args[++i].toUpperCase());
                case "-tierfs-only" -> skipReferences = true;
                case "-shares" -> fixedShares = true;
                default -> files.add(Path.of(args[i]));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<String>> rows = new ArrayList<>();
        for (Path file : files) {
            long[] trace = read(file, format);
            long distinct = Arrays.stream(trace).distinct().count();
            long[] these = sizes != null ? sizes
                : distinct <= 100_000 ? new long[] {100, 250, 500, 1000, 2000}
                : new long[] {distinct / 1000, distinct / 100, distinct / 10};
            String name = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
            for (long size : these) {
                boolean refs = !skipReferences;
                if (fixedShares) {
                    rows.add(pool.submit(() -> shares(name, trace, size)));
                } else {
                    rows.add(pool.submit(() -> row(name, trace, size, refs)));
                }
            }
        }
        System.out.printf("%-24s %8s %9s  %7s %7s %7s %7s  %s%n", "trace", "size", "accesses", "tierfs", "lru", "caff", "opt", "");
        int below = 0;
        for (Future<String> row : rows) {
            String r = row.get();
            below += r.endsWith("<<") ? 1 : 0;
            System.out.println(r);
        }
        System.out.println(rows.size() + " cases, " + below + " below max(lru, caffeine) - 0.01");
        pool.shutdown();
    }

    private static String row(String name, long[] trace, long size, boolean refs) {
        long start = System.nanoTime();
        double ours = HitRatios.tierPolicy(trace, size);
        double nanosPerAccess = (double) (System.nanoTime() - start) / trace.length;
        if (!refs) {
            return String.format("%-24s %8d %9d  %7.4f  (%.0f ns/access)", name, size, trace.length, ours, nanosPerAccess);
        }
        double lru = HitRatios.lru(trace, size);
        double caffeine = HitRatios.caffeine(trace, size);
        double opt = HitRatios.opt(trace, size);
        boolean miss = ours < Math.max(lru, caffeine) - 0.01;
        return String.format("%-24s %8d %9d  %7.4f %7.4f %7.4f %7.4f  %+.4f %s", name, size, trace.length, ours, lru, caffeine,
            opt, ours - Math.max(lru, caffeine), miss ? "<<" : "");
    }

    /** Level 0's hit ratio with the window fixed at each of a range of shares. */
    private static String shares(String name, long[] trace, long size) {
        StringBuilder b = new StringBuilder(String.format("%-24s %8d", name, size));
        for (double share : new double[] {0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 0.99}) {
            TierPolicy p = TierPolicy.shadow(size, share, false);
            long hits = 0;
            for (long key : trace) {
                hits += p.levelOf(key) == 0 ? 1 : 0;
                p.access(key);
            }
            b.append(String.format(" %.2f:%.4f", share, (double) hits / trace.length));
        }
        return b.toString();
    }

    static long[] read(Path file, TraceFormat format) throws IOException, TraceFormat.TraceException {
        long[][] buffer = {new long[1 << 16]};
        int[] length = {0};
        format.read(file, 4096, key -> {
            if (length[0] == buffer[0].length) {
                buffer[0] = Arrays.copyOf(buffer[0], length[0] * 2);
            }
            buffer[0][length[0]++] = key;
        });
        return Arrays.copyOf(buffer[0], length[0]);
    }
}
