package io.tierfs.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads the mount table (/proc/self/mountinfo). */
public final class Mounts {
    private Mounts() {
    }

    /** @param device the mount's "major:minor", which also names its backing-device info in sysfs */
    public record Entry(Path mountpoint, String type, String source, String device) {
        public boolean isTierfs() {
            return type.equals("fuse.tierfs");
        }
    }

    /** The mount at exactly {@code mountpoint}, or null. */
    public static Entry find(Path mountpoint) throws IOException {
        String target = mountpoint.toAbsolutePath().normalize().toString();
        Entry found = null;
        List<String> lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash < 0 || dash + 2 >= f.length) {
                continue;
            }
            if (unescape(f[4]).equals(target)) {
                found = new Entry(Path.of(target), f[dash + 1], unescape(f[dash + 2]), f[2]);
            }
        }
        return found;
    }

    /** A FUSE mount whose daemon is gone answers ENOTCONN to every call. */
    public static boolean isStale(Path mountpoint) {
        try {
            Files.readAttributes(mountpoint, "unix:ino");
            return false;
        } catch (java.nio.file.FileSystemException e) {
            return e.getMessage() != null && e.getMessage().contains("not connected");
        } catch (IOException e) {
            return false;
        }
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

}
