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

    private final java.util.function.LongUnaryOperator promoter;

    /** @param promoter a file's blocks made to look much used (the migrator's); returns how many */
    ScopeAttributes(Inodes inodes, Namespace namespace, Xattrs xattrs, java.util.function.LongUnaryOperator promoter) {
        this.inodes = inodes;
        this.namespace = namespace;
        this.xattrs = xattrs;
        this.promoter = promoter;
    }

    /** promote: every file of the scope's blocks counted as much read, so placement moves them up. */
    Outcome promote(String scope) {
        long[] files = {0};
        long[] blocks = {0};
        walk(scope, i -> {
            if (FileMode.isRegular(i.mode())) {
                files[0]++;
                blocks[0] += promoter.applyAsLong(i.ino);
            }
        });
        return new Outcome(files[0], 0, blocks[0] + " blocks of " + files[0] + " files made hot in the access tracker");
    }

    /** What an action did: things changed, things already so, and the change in words. */
    record Outcome(long changed, long unchanged, String detail) {
    }

    private static String attributeOf(PolicyRule.Action a) {
        return switch (a.verb()) {
            case "replicate" -> TierAttributes.REPLICAS;
            case "compress" -> CompressionChoice.ATTRIBUTE;
            default -> TierAttributes.PIN; // migrate
        };
    }

    private static String valueOf(PolicyRule.Action a) {
        return a.verb().equals("replicate") ? "2" : a.verb().equals("compress")
            ? CompressionChoice.parse(a.argument()).toString() : a.argument();
    }

    /** @throws FsException ENOENT if the scope does not exist (yet) */
    Outcome apply(String scope, PolicyRule.Action action) {
        byte[] name = attributeOf(action).getBytes(StandardCharsets.US_ASCII);
        byte[] value = valueOf(action).getBytes(StandardCharsets.US_ASCII);
        long[] counts = {0, 0}; // changed, unchanged
        walk(scope, i -> {
            if (Arrays.equals(current(i, name), value)) {
                counts[1]++;
            } else {
                xattrs.set(i, name, value, 0);
                counts[0]++;
            }
        });
        return new Outcome(counts[0], counts[1], attributeOf(action) + "=" + valueOf(action));
    }

    /** Each directory and regular file of the scope's tree, the scope first. */
    private void walk(String scope, java.util.function.Consumer<Inode> visit) {
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
            visit.accept(i);
            if (dir) {
                for (DirEntry e : namespace.list(ino)) {
                    if (!isDotOrDotDot(e.name())) {
                        todo.push(e.ino());
                    }
                }
            }
        }
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
