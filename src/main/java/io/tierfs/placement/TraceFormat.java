package io.tierfs.placement;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * The block traces {@code tierfs simulate} reads, streamed line by line. Each yields one block
 * number per block a request touches: a request over k blocks is k accesses.
 */
public enum TraceFormat {
    /** One block number per line; blank lines are skipped. */
    PLAIN {
        @Override
        void parse(String line, long blockSize, LongConsumer blocks) {
            String s = line.strip();
            if (!s.isEmpty()) {
                blocks.accept(number(s, "a block number"));
            }
        }
    },
    /**
     * {@code blkparse}'s default text output. Only queue events ({@code Q}: each request once, as
     * the filesystem issued it, before merging) that read or write data count; every other event,
     * the non-I/O lines ({@code m N cfq...}) and the summary blkparse prints at the end are skipped.
     * Fields: {@code dev cpu seq time pid action rwbs sector + count [process]}, in 512-byte sectors.
     */
    BLKPARSE {
        @Override
        void parse(String line, long blockSize, LongConsumer blocks) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 6 || !f[0].matches("\\d+,\\d+")) {
                if (line.isBlank() || inSummary(f[0])) {
                    return;
                }
                throw new IllegalArgumentException("not a blkparse event (expected: dev cpu seq time pid action ...)");
            }
            String rwbs = f.length > 6 ? f[6] : "";
            if (!f[5].equals("Q") || rwbs.indexOf('D') >= 0 || (rwbs.indexOf('R') < 0 && rwbs.indexOf('W') < 0)) {
                return;
            }
            if (f.length < 10 || !f[8].equals("+")) {
                if (f.length > 7 && f[7].startsWith("[")) {
                    return; // a request without a sector range (a flush)
                }
                throw new IllegalArgumentException("a Q event without 'sector + count'");
            }
            range(number(f[7], "a sector") * 512, number(f[9], "a sector count") * 512, blockSize, blocks);
        }

        /** blkparse's closing summary: per-CPU and total counts, then throughput and event lines. */
        private boolean inSummary(String first) {
            return first.startsWith("CPU") || first.equals("Total") || first.startsWith("Reads") || first.startsWith("Writes")
                || first.equals("Read") || first.equals("Write") || first.equals("IO") || first.equals("Timer")
                || first.startsWith("Throughput") || first.startsWith("Events") || first.startsWith("Skips")
                || first.equals("Queued:") || first.equals("Dispatches:") || first.equals("Completed:");
        }
    },
    /**
     * SNIA's MSR Cambridge CSV: {@code Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime},
     * offset and size in bytes; reads and writes both count. Blocks of different disks in one file
     * are kept apart (the disk number goes in the key's top bits).
     */
    MSR {
        @Override
        void parse(String line, long blockSize, LongConsumer blocks) {
            if (line.isBlank()) {
                return;
            }
            String[] f = line.split(",");
            if (f.length != 7) {
                throw new IllegalArgumentException("expected 7 comma-separated fields, found " + f.length);
            }
            if (f[0].strip().equalsIgnoreCase("Timestamp")) {
                return; // a header line
            }
            String type = f[3].strip();
            if (!type.equalsIgnoreCase("Read") && !type.equalsIgnoreCase("Write")) {
                throw new IllegalArgumentException("type must be Read or Write, not '" + type + "'");
            }
            long disk = number(f[2].strip(), "a disk number");
            if (disk >= 1 << 15) {
                throw new IllegalArgumentException("disk number past 32767");
            }
            long offset = number(f[4].strip(), "an offset");
            if (offset >= 1L << 48) {
                throw new IllegalArgumentException("offset past 256 TiB");
            }
            long diskBlocks = disk << (48 - Long.numberOfTrailingZeros(blockSize));
            range(offset, number(f[5].strip(), "a size"), blockSize, b -> blocks.accept(diskBlocks | b));
        }
    };

    /** Feeds {@code blocks} each block number {@code line} touches; throws IllegalArgumentException saying what is wrong. */
    abstract void parse(String line, long blockSize, LongConsumer blocks);

    /** Streams {@code file}, calling {@code blocks} for each block access in order. */
    public void read(Path file, long blockSize, LongConsumer blocks) throws IOException, TraceException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            long lineNumber = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNumber++;
                try {
                    parse(line, blockSize, blocks);
                } catch (IllegalArgumentException e) {
                    throw new TraceException(file + ":" + lineNumber + ": " + e.getMessage() + ": '" + shorten(line) + "'");
                }
            }
        } catch (NoSuchFileException e) {
            throw new TraceException("no such trace file: " + file);
        }
    }

    private static String shorten(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }

    private static long number(String s, String what) {
        try {
            long n = Long.parseLong(s);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not " + what);
        }
    }

    /** Every block of bytes {@code [offset, offset + length)}. */
    private static void range(long offset, long length, long blockSize, LongConsumer blocks) {
        if (length <= 0) {
            return;
        }
        for (long b = offset / blockSize, last = (offset + length - 1) / blockSize; b <= last; b++) {
            blocks.accept(b);
        }
    }

    /** A trace that cannot be read: the message names the file, and the line if one is wrong. */
    public static final class TraceException extends Exception {
        public TraceException(String message) {
            super(message);
        }
    }
}
