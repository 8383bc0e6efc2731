package io.tierfs.nativeio;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Making names and small files durable: the fsyncs Java's file API leaves out. */
public final class Durable {
    private Durable() {
    }

    /** fsync of a directory: makes the names in it durable. */
    public static void syncDirectory(Path dir) throws IOException {
        int fd = LibC.INSTANCE.open(dir.toString(), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new NativeIOException("open " + dir, LibC.errno());
        }
        try {
            if (LibC.INSTANCE.fsync(fd) != 0) {
                throw new NativeIOException("fsync " + dir, LibC.errno());
            }
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /** Creates a directory (and missing parents), each new name made durable. */
    public static void createDirectories(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            return;
        }
        createDirectories(abs.getParent());
        Files.createDirectory(abs);
        syncDirectory(abs.getParent());
    }

    /** Replaces {@code target} with {@code content} atomically and durably: write, fsync, rename, fsync the directory. */
    public static void writeAtomically(Path target, Writer content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            OutputStream out = Channels.newOutputStream(ch);
            content.write(out);
            out.flush();
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(target.getParent());
    }

    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }
}
