package io.tierfs.cli;

import io.tierfs.nativeio.LibC;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/**
 * The service manager's readiness protocol (sd_notify): a unit of Type=notify counts the volume
 * as started only when the daemon says so, after its mount serves, so units ordered after it
 * find the filesystem there. Without NOTIFY_SOCKET (not started by systemd) this does nothing.
 */
final class SystemdNotify {
    private static final Logger LOG = Logger.getLogger(SystemdNotify.class.getName());
    private static final int SUN_PATH_MAX = 108;

    private SystemdNotify() {
    }

    static void ready(String status) {
        String socket = System.getenv("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return;
        }
        byte[] message = ("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid() + "\n")
            .getBytes(StandardCharsets.UTF_8);
        if (!send(socket, message)) {
            LOG.warning("could not tell the service manager at " + socket + " that the mount serves: errno "
                + LibC.errno());
        }
    }

    private static boolean send(String socket, byte[] message) {
        byte[] path = socket.getBytes(StandardCharsets.UTF_8);
        boolean isAbstract = path[0] == '@'; // a name in the abstract namespace starts with a NUL byte
        if (path.length >= SUN_PATH_MAX || (path[0] != '/' && !isAbstract)) {
            return false;
        }
        // struct sockaddr_un: a 16-bit family, then the path (NUL-terminated unless abstract)
        byte[] addr = new byte[2 + path.length + (isAbstract ? 0 : 1)];
        addr[0] = (byte) LibC.AF_UNIX;
        System.arraycopy(path, 0, addr, 2, path.length);
        if (isAbstract) {
            addr[2] = 0;
        }
        int fd = LibC.INSTANCE.socket(LibC.AF_UNIX, LibC.SOCK_DGRAM, 0);
        if (fd < 0) {
            return false;
        }
        try {
            return LibC.INSTANCE.sendto(fd, message, message.length, 0, addr, addr.length) == message.length;
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }
}
