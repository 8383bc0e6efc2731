package io.tierfs.cli;

import io.tierfs.daemon.Mounts;
import io.tierfs.daemon.VolumeException;
import io.tierfs.daemon.VolumeLock;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** `tierfs unmount`: unmount, then wait until the daemon has flushed and closed its stores. */
@Command(name = "unmount", aliases = "umount", mixinStandardHelpOptions = true,
    description = "Unmount a tierfs volume and wait for its daemon to flush and exit. Also clears a stale mount left by a crashed daemon.")
public final class UnmountCommand implements Callable<Integer> {
    private static final long EXIT_TIMEOUT_MILLIS = 120_000;

    @Parameters(index = "0", paramLabel = "MOUNTPOINT")
    Path mountpoint;

    @Override
    public Integer call() throws IOException, InterruptedException {
        try {
            System.out.println(unmount(mountpoint.toAbsolutePath().normalize()));
            return 0;
        } catch (VolumeException e) {
            System.err.println("tierfs: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Unmounts {@code mp} and waits for its daemon to flush and exit, or clears a stale mount.
     *
     * @return what was done, in one line
     * @throws VolumeException saying why the volume is still mounted
     */
    public static String unmount(Path mp) throws VolumeException, IOException, InterruptedException {
        Mounts.Entry entry = Mounts.find(mp);
        if (entry == null) {
            throw new VolumeException(mp + " is not mounted");
        }
        if (!entry.isTierfs()) {
            throw new VolumeException(mp + " is not a tierfs mount (" + entry.type() + ")");
        }
        Path data = Path.of(entry.source());
        Optional<ProcessHandle> daemon = StatusCommand.daemonOf(data, mp);
        // a daemon that has just mounted may not have written its state yet: a mount that answers is live
        if (Mounts.isStale(mp) || daemon.isEmpty() && !VolumeLock.isHeld(data)) {
            if (LibC.INSTANCE.umount2(mp.toString(), LibC.MNT_DETACH) != 0 && !fusermount(mp, true)) {
                throw new VolumeException("could not clear the stale mount at " + mp);
            }
            return "cleared stale mount at " + mp + " (its daemon had died; recovery runs at the next mount)";
        }
        if (LibC.INSTANCE.umount2(mp.toString(), 0) != 0) {
            int errno = LibC.errno();
            if (errno == Errno.EBUSY) {
                throw new VolumeException(mp + " is busy: files are open or a process works in it"
                    + " (see: fuser -vm " + mp + ")");
            }
            if (errno != Errno.EPERM || !fusermount(mp, false)) {
                throw new VolumeException("unmount of " + mp + " failed: errno " + errno);
            }
        }
        long deadline = System.currentTimeMillis() + EXIT_TIMEOUT_MILLIS;
        // its process if known, else the volume's lock, which the daemon lets go of last
        while ((daemon.isPresent() ? daemon.get().isAlive() : VolumeLock.isHeld(data))
            && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        if (daemon.isPresent() ? daemon.get().isAlive() : VolumeLock.isHeld(data)) {
            throw new VolumeException("unmounted " + mp + ", but its daemon is still flushing");
        }
        return "unmounted " + mp;
    }

    /** Unprivileged users unmount through fusermount. */
    private static boolean fusermount(Path mp, boolean lazy) throws IOException, InterruptedException {
        for (String tool : new String[] {"fusermount", "fusermount3"}) {
            try {
                Process p = new ProcessBuilder(tool, lazy ? "-uz" : "-u", mp.toString()).inheritIO().start();
                return p.waitFor() == 0;
            } catch (IOException notInstalled) {
                // try the next one
            }
        }
        return false;
    }

}
