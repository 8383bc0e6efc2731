#!/usr/bin/env bash
# Remount test: a tree written through tierfs is all there after unmount and mount, byte for byte,
# with the same inode numbers, modes, owners, times, links and xattrs.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-remount.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data"

snapshot() { # a line per name: inode, mode, links, owner, size, mtime (ns), type, link, checksum, user xattrs
  python3 - "$1" <<'PY'
import hashlib, os, stat, sys
root = sys.argv[1]
for dirpath, dirs, files in os.walk(root):
    for name in [""] + sorted(dirs) + sorted(files) if dirpath == root else sorted(dirs) + sorted(files):
        p = os.path.join(dirpath, name) if name else dirpath
        st = os.lstat(p)
        kind = "l" if stat.S_ISLNK(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode) else "f"
        link = os.readlink(p) if kind == "l" else ""
        digest = "-"
        if kind == "f":
            h = hashlib.md5()
            with open(p, "rb") as f:
                # the data and where it lies (SEEK_DATA/SEEK_HOLE), rather than GiBs of holes' zeros
                pos = 0
                while True:
                    try:
                        pos = os.lseek(f.fileno(), pos, os.SEEK_DATA)
                    except OSError:
                        break
                    end = os.lseek(f.fileno(), pos, os.SEEK_HOLE)
                    h.update(f"@{pos}:".encode())
                    f.seek(pos)
                    while pos < end:
                        chunk = f.read(min(1 << 20, end - pos))
                        if not chunk:
                            break
                        h.update(chunk)
                        pos += len(chunk)
            digest = h.hexdigest()
        xattrs = " ".join(f"{k}={os.getxattr(p, k, follow_symlinks=False)!r}"
                          for k in sorted(os.listxattr(p, follow_symlinks=False)) if k.startswith("user."))
        print("\t".join(map(str, (os.path.relpath(p, root), st.st_ino, oct(st.st_mode & 0o7777), st.st_nlink,
              f"{st.st_uid}:{st.st_gid}", st.st_size, st.st_mtime_ns, kind, link, digest, xattrs))))
PY
}

tierfs_mount "$mnt" "$data" || { summary; exit 1; }
cp -a /usr/include/linux "$mnt/src"
mkdir -p "$mnt/d/e"; echo data > "$mnt/d/e/f"; ln "$mnt/d/e/f" "$mnt/hard"; ln -s d/e/f "$mnt/sym"
chmod 4751 "$mnt/d/e/f"; chown 1234:4321 "$mnt/hard"; setfattr -n user.k -v v "$mnt/d"
touch -d '2001-02-03 04:05:06.123456789' "$mnt/src"
dd if=/dev/urandom of="$mnt/big" bs=1M count=16 status=none
truncate -s 6G "$mnt/sparse"; echo tail >> "$mnt/sparse"
head -c 100000 /dev/urandom > "$mnt/reserved"; fallocate -n -l 4M "$mnt/reserved" # space past the end
before="$(snapshot "$mnt")"
tierfs_unmount "$mnt"
if grep -q " $mnt fuse" /proc/mounts; then fail remount "still mounted after unmount"; fi
tierfs_mount "$mnt" "$data" || { summary; exit 1; }
after="$(snapshot "$mnt")"
if [[ "$before" == "$after" ]]; then
  pass "remount: $(echo "$before" | wc -l) names identical (inodes, modes, owners, times, contents, xattrs)"
else
  fail remount "tree differs: $(diff <(echo "$before") <(echo "$after") | head -5 | tr '\n' ' ')"
fi
# a clean shutdown leaves nothing to repair (reserved space past a file's end is not a leftover)
recovered="$(grep -o 'recovery (clean shutdown).*' "$data/tierfs.log" | tail -1)"
if [[ "$recovered" == *" 0 orphans deleted, 0 block references dropped, 0 blocks past a file's end and 0 last blocks' tails zeroed, 0 block counts fixed"* ]]; then
  pass "remount: recovery after the clean shutdown repaired nothing"
else
  fail remount "recovery after a clean shutdown: ${recovered:-no recovery line in $data/tierfs.log}"
fi
tierfs_unmount "$mnt"
summary
