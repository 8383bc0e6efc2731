package io.tierfs.daemon;

import io.tierfs.nativeio.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;
import java.util.stream.Stream;

/** The checks that turn a bad mount request into one clear line before anything is touched. */
public final class Preflight {
    private static final Logger LOG = Logger.getLogger(Preflight.class.getName());
    private Preflight() {
    }

    /**
     * A stale mount of this same volume, left by its daemon that died, is cleared: no daemon holds
     * the volume's lock, so nothing else can be serving it, and a service manager restarting the
     * volume after a crash must not need a hand. A stale mount of anything else is the user's to clear.
     */
    public static void checkMountpoint(Path mountpoint, Path data) throws VolumeException, IOException {
        Mounts.Entry mounted = Mounts.find(mountpoint);
        if (mounted != null && Mounts.isStale(mountpoint) && mounted.isTierfs()
            && Path.of(mounted.source()).equals(data) && !VolumeLock.isHeld(data)
            && LibC.INSTANCE.umount2(mountpoint.toString(), LibC.MNT_DETACH) == 0) {
            LOG.warning("cleared the stale mount at " + mountpoint + " left by a daemon of this volume that died");
            mounted = Mounts.find(mountpoint);
        }
        if (mounted != null) {
            if (Mounts.isStale(mountpoint)) {
                throw new VolumeException("mountpoint " + mountpoint + " holds a stale mount left by a crashed daemon;"
                    + " clear it with: tierfs unmount " + mountpoint);
            }
            throw new VolumeException("mountpoint " + mountpoint + " is already mounted (" + mounted.type() + " from "
                + mounted.source() + ")");
        }
        if (!Files.exists(mountpoint)) {
            throw new VolumeException("mountpoint " + mountpoint + " does not exist (create it with mkdir)");
        }
        if (!Files.isDirectory(mountpoint)) {
            throw new VolumeException("mountpoint " + mountpoint + " is not a directory");
        }
        try (Stream<Path> entries = Files.list(mountpoint)) {
            if (entries.findAny().isPresent()) {
                throw new VolumeException("mountpoint " + mountpoint + " is not empty");
            }
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            throw new VolumeException("/dev/fuse is missing: load the fuse kernel module (modprobe fuse)");
        }
        try {
            io.tierfs.fuse.LibFuse.INSTANCE.getClass();
        } catch (LinkageError e) {
            throw new VolumeException("libfuse.so.2 cannot be loaded: install it with apt-get install libfuse2");
        }
    }

    public static void checkDataFolder(MountSettings s) throws VolumeException, IOException {
        Path data = s.data();
        if (Files.exists(data) && !Files.isDirectory(data)) {
            throw new VolumeException("data folder " + data + " is not a directory");
        }
        try {
            Files.createDirectories(data);
            Path probe = Files.createTempFile(data, ".probe", null);
            Files.delete(probe);
        } catch (IOException e) {
            throw new VolumeException("data folder " + data + " is not writable (it cannot be created or written to)");
        }
        if (VolumeLayout.exists(data)) {
            VolumeLayout.read(s);
            if (VolumeLock.isHeld(data)) {
                throw new VolumeException("data folder " + data + " is in use by a running tierfs");
            }
        }
        if (s.data().toString().contains(",")) {
            throw new VolumeException("data folder path must not contain a comma: " + data);
        }
    }
}
