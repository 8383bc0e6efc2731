package io.tierfs.policy;

import io.tierfs.codec.CompressionChoice;
import io.tierfs.namespace.DirEntry;
import io.tierfs.namespace.FileMode;
import io.tierfs.namespace.FsException;
import io.tierfs.namespace.Inode;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.Namespace;
import io.tierfs.namespace.TierAttributes;
import io.tierfs.namespace.Xattrs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Carries out a policy action on its scope: sets a user.tierfs attribute on the scope and on
 * everything under it, as `setfattr` through the mount would (directories pass it on to what is
 * made in them later; files act on it: replicas are made, a pin moves the blocks, the codec is
 * used at the next compression). Idempotent: what already has the value is left alone.
 */
final class ScopeAttributes {
    private final Inodes inodes;
    private final Namespace namespace;
    private final Xattrs xattrs;

    ScopeAttributes(Inodes inodes, Namespace namespace, Xattrs xattrs) {
        this.inodes = inodes;
        this.namespace = namespace;
        this.xattrs = xattrs;
    }

    /** What an action did: things changed, things already so, and the change in words. */
    record Outcome(long changed, long unchanged, String detail) {
    }

    static String attributeOf(PolicyRule.Action a) {
        return switch (a.verb()) {
            case "replicate" -> TierAttributes.REPLICAS;
            case "compress" -> CompressionChoice.ATTRIBUTE;
            default -> TierAttributes.PIN; // migrate
        };
    }

    static String valueOf(PolicyRule.Action a) {
        return a.verb().equals("replicate") ? "2" : a.verb().equals("compress")
            ? CompressionChoice.parse(a.argument()).toString() : a.argument();
    }

    /** @throws FsException ENOENT if the scope does not exist (yet) */
    Outcome apply(String scope, PolicyRule.Action action) {
        byte[] name = attributeOf(action).getBytes(StandardCharsets.US_ASCII);
        byte[] value = valueOf(action).getBytes(StandardCharsets.US_ASCII);
        long changed = 0;
        long unchanged = 0;
        Deque<Long> todo = new ArrayDeque<>();
        todo.push(resolve(scope));
        while (!todo.isEmpty()) {
            long ino = todo.pop();
            Inode i;
            try {
                i = inodes.get(ino);
            } catch (FsException gone) {
                continue; // removed while the walk went on
            }
            boolean dir = FileMode.isDirectory(i.mode());
            if (!dir && !FileMode.isRegular(i.mode())) {
                continue;
            }
            if (Arrays.equals(current(i, name), value)) {
                unchanged++;
            } else {
                xattrs.set(i, name, value, 0);
                changed++;
            }
            if (dir) {
                for (DirEntry e : namespace.list(ino)) {
                    if (!isDotOrDotDot(e.name())) {
                        todo.push(e.ino());
                    }
                }
            }
        }
        return new Outcome(changed, unchanged, attributeOf(action) + "=" + valueOf(action));
    }

    private byte[] current(Inode i, byte[] name) {
        try {
            return xattrs.get(i, name);
        } catch (FsException none) {
            return null;
        }
    }

    /** The scope's inode, by its names from the root, without taking the kernel's reference a lookup takes. */
    private long resolve(String scope) {
        long ino = Inodes.ROOT;
        for (String part : scope.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            byte[] wanted = part.getBytes(StandardCharsets.UTF_8);
            long found = 0;
            for (DirEntry e : namespace.list(ino)) {
                if (Arrays.equals(e.name(), wanted)) {
                    found = e.ino();
                    break;
                }
            }
            if (found == 0) {
                throw new FsException(io.tierfs.nativeio.Errno.ENOENT, scope + " does not exist");
            }
            ino = found;
        }
        return ino;
    }

    private static boolean isDotOrDotDot(byte[] n) {
        return n.length == 1 && n[0] == '.' || n.length == 2 && n[0] == '.' && n[1] == '.';
    }
}
