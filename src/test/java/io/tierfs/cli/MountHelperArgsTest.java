package io.tierfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class MountHelperArgsTest {
    private static final Set<String> SUBCOMMANDS = Set.of("mount", "status");

    private static String[] translate(String... args) {
        return MountHelperArgs.translate(args, SUBCOMMANDS);
    }

    @Test
    void mountFuseCallBecomesTierfsMount() {
        // as mount.fuse3 runs it for: mount -t fuse.tierfs /d /m -o defaults,hot-capacity=1G,noatime,_netdev
        assertArrayEquals(new String[] {"mount", "--quiet", "--data=/d", "--hot-capacity=1G", "--mount-flags=noatime", "/m"},
            translate("/d", "/m", "-o", "rw,hot-capacity=1G,noatime,dev,suid"));
    }

    @Test
    void theLastOfARepeatedOptionWins() {
        // fstab's options, then those given to mount -o
        assertArrayEquals(new String[] {"mount", "--quiet", "--data=/d", "--hot-capacity=9G", "/m"},
            translate("/d", "/m", "-o", "rw,hot-capacity=1G,hot-capacity=9G"));
    }

    @Test
    void subcommandsAndOptionsAreNotMountCalls() {
        assertNull(translate("mount", "/m"));
        assertNull(translate("status", "/m"));
        assertNull(translate("--version"));
        assertNull(translate("/d"));
    }

    @Test
    void unknownOptionsAndReadOnlyAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> translate("/d", "/m", "-o", "rw,colour=blue"));
        assertTrue(e.getMessage().contains("'colour=blue'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> translate("/d", "/m", "-o", "ro"));
        assertTrue(e.getMessage().contains("read-write"), e.getMessage());
        // the folders come from the mount line, not from options
        assertThrows(IllegalArgumentException.class, () -> translate("/d", "/m", "-o", "data=/x"));
    }
}
