package io.tierfs.daemon;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The running daemon's exclusive hold on a data folder: two daemons on one volume would corrupt it. */
public final class VolumeLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private VolumeLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock of the data folder {@code data} (which must exist), before its volume is opened. */
    static VolumeLock acquire(Path data) throws IOException, VolumeException {
        Path file = VolumeLayout.lockFile(data);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.READ);
        FileLock l = ch.tryLock();
        if (l == null) {
            String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
            ch.close();
            throw new VolumeException("data folder " + data + " is in use by a running tierfs"
                + (holder.isEmpty() ? "" : " (" + holder + ")"));
        }
        ch.truncate(0);
        ch.write(java.nio.ByteBuffer.wrap(("pid " + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
        return new VolumeLock(ch, l);
    }

    /** Whether a daemon holds the folder now (the lock is probed, then let go). */
    /** Whether a daemon holds the volume in {@code data} (opened, not yet closed and flushed). */
    public static boolean isHeld(Path data) throws IOException {
        Path file = VolumeLayout.lockFile(data);
        if (!Files.exists(file)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // The process is ending; the kernel drops the lock with it.
        }
    }
}
