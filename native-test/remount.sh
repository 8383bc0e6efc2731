#!/usr/bin/env bash
# Remount test: a tree written through tierfs is all there after unmount and mount, byte for byte,
# with the same inode numbers, modes, owners, times, links and xattrs.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-remount.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data"

snapshot() { # a line per name: inode, mode, links, owner, size, mtime (ns), checksum, xattrs
  (cd "$1" && find . -printf '%p\t%i\t%m\t%n\t%U:%G\t%s\t%T@\t%y\t%l\n' | sort | while IFS=$'\t' read -r p rest; do
    sum=-; [[ -f "$p" && ! -L "$p" ]] && sum=$(md5sum < "$p" | cut -c1-32)
    echo "$p	$rest	$sum	$(getfattr -h -d -m 'user\.' "$p" 2>/dev/null | tail -n +2 | tr '\n' ' ')"
  done)
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
