#!/usr/bin/env bash
# Limits: the largest file (EFBIG past it, as on ext4), huge sparse files that cost no memory,
# and extended attributes that stop (ENOSPC) before their names outgrow what listxattr returns.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-limits.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data"
tierfs_mount "$mnt" "$data" || { summary; exit 1; }
pid="$(daemon_pid "$data")"
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$1/status"; }

out="$(python3 - "$mnt" <<'PY'
import errno, os, sys
d = sys.argv[1]
fd = os.open(f"{d}/big", os.O_CREAT | os.O_RDWR)
fd2 = os.open(f"{d}/too-big", os.O_CREAT | os.O_RDWR)
res = []
for what, call in [("truncate 2^56", lambda: os.ftruncate(fd, 1 << 56)),
                   # with the writeback cache the kernel, which cannot know tierfs's largest file,
                   # takes the write into its cache: the write-back fails, and fsync says so
                   ("pwrite at 2^57", lambda: (os.pwrite(fd2, b"x", (1 << 57) - 2), os.fsync(fd2))),
                   ("fallocate past 16 TiB", lambda: os.posix_fallocate(fd, (1 << 57) - 2, 1))]:
    try:
        call(); res.append(f"{what}: succeeded")
    except OSError as e:
        res.append(f"{what}: {errno.errorcode[e.errno]}")
os.ftruncate(fd, 15 << 40)
os.pwrite(fd, b"end", (15 << 40) - 3)
res.append("tail " + repr(os.pread(fd, 8, (15 << 40) - 8)))
res.append("hole " + repr(os.pread(fd, 4, 14 << 40)))
print("; ".join(res))
PY
)"
expected="truncate 2^56: EFBIG; pwrite at 2^57: EFBIG; fallocate past 16 TiB: EFBIG; tail b'\\x00\\x00\\x00\\x00\\x00end'; hole b'\\x00\\x00\\x00\\x00'"
[[ "$out" == "$expected" ]] && pass "EFBIG past the largest file; a 15 TiB sparse file reads zeros and its tail" || fail "file size limits" "$out"
[[ $(rss "$pid") -lt $((1 << 30)) ]] && pass "a read 15 TiB into a file costs no memory (daemon RSS $(($(rss "$pid") >> 20)) MiB)" \
  || fail "memory" "daemon RSS $(($(rss "$pid") >> 20)) MiB"
stat -c %b "$mnt/big" | grep -qE '^[0-9]{1,4}$' && pass "the sparse file takes almost no space" || fail "sparse" "st_blocks $(stat -c %b "$mnt/big")"

touch "$mnt/x"
n=0
while setfattr -n "user.$(printf 'n%0150d' $n)" -v 1 "$mnt/x" 2>"$work/err"; do n=$((n + 1)); [[ $n -gt 1000 ]] && break; done
grep -q "No space left on device" "$work/err" && pass "setxattr stops with ENOSPC after $n names" || fail "xattr limit" "$n names, $(cat "$work/err")"
getfattr -d "$mnt/x" >/dev/null 2>"$work/err" && pass "listxattr still works on the full file" || fail "listxattr" "$(cat "$work/err")"
tierfs_unmount "$mnt"
summary
