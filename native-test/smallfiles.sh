#!/usr/bin/env bash
# Small files through a real mount: a file of up to a page keeps its bytes in the metadata store
# (no tier file), spills into a block when it grows, reads back the same after a remount, a
# kill -9 after fsync and a crash that lost its new size; the kernel keeps "no such name" answers;
# many small files made, renamed and removed by several processes at once end as on ext4; a small
# file is shown in no tier, its bytes in the metadata store, and df counts them.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-small.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data"

tierfs_mount "$mnt" "$data" --hot-capacity 0 || { summary; exit 1; }

# --- small files cost no tier file; one that grows past a page gets its block
python3 - "$mnt" "$work/model" <<'PY'
import os, random, sys
mnt, model = sys.argv[1], sys.argv[2]
os.makedirs(model)
rnd = random.Random(25)
for i in range(300):
    data = rnd.randbytes(rnd.choice([0, 1, 100, 4095, 4096, rnd.randrange(4097)]))
    for d in (mnt, model):
        with open(os.path.join(d, "s%03d" % i), "wb") as f:
            f.write(data)
# grows past a page in small appends: spilled into block 0 on the way
for d in (mnt, model):
    with open(os.path.join(d, "grows"), "wb") as f:
        for j in range(40):
            f.write(bytes([65 + j % 26]) * 300)
            f.flush()
            os.fsync(f.fileno())
PY
tier_files="$(find "$data/ssd" "$data/hdd" -type f ! -name '.tierfs-tier' | wc -l)"
[[ "$tier_files" == 1 ]] && pass "300 files of up to a page make no tier file; the one that grew has one" \
  || fail "tier files" "$tier_files tier files: $(find "$data/ssd" -type f | head -3)"
diff -r "$work/model" "$mnt" >/dev/null 2>&1 || true
cmp_all() { # every model file reads back the same through the mount
  local f bad=0
  for f in "$work/model"/*; do cmp -s "$f" "$mnt/$(basename "$f")" || { bad=1; echo "differs: $f"; break; }; done
  return $bad
}
cmp_all && pass "small and grown files read back" || fail "read back" "contents differ"
[[ "$(stat -c %b "$mnt/s001")" -le 8 && "$(stat -c %s "$mnt/grows")" == 12000 ]] \
  && pass "st_blocks and size as ext4 shows them" || fail "stat" "$(stat -c '%n %s %b' "$mnt/s001" "$mnt/grows")"

# --- where a small file is: in no tier, its bytes in the metadata store, and said so
head -c 100 /dev/zero > "$mnt/where"
tiers="$(getfattr --absolute-names --only-values -n user.tierfs.tiers "$mnt/where")" runs="$(getfattr --absolute-names --only-values -n user.tierfs.blocks "$mnt/where")"
[[ "$tiers" == "hot=0 ssd=0 hdd=0 replicas=0 logical=100 stored=100 inline=100" && "$runs" == "0:inline" ]] \
  && pass "user.tierfs.tiers and .blocks of a small file: $tiers, $runs" || fail "small file's tiers" "'$tiers' '$runs'"
tiers="$(getfattr --absolute-names --only-values -n user.tierfs.tiers "$mnt/grows")"
[[ "$tiers" == "hot=0 ssd=1 hdd=0 "*" inline=0" ]] && pass "and of the one that grew: $tiers" || fail "grown file's tiers" "$tiers"
where="$("$TIERFS" where "$mnt/where")"
[[ "$where" == *"100 bytes kept in the metadata store"* ]] && pass "tierfs where says so: $where" || fail "where" "$where"

# SEEK_DATA/SEEK_HOLE, truncate and a punched hole on inline bytes, as on ext4
python3 - "$mnt/seek" "$work/model/seek" <<'PY' && pass "truncate, punch and SEEK_DATA/SEEK_HOLE on a small file" || fail "small file ops" "see above"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for p in sys.argv[1:]:
    with open(p, "wb") as f:
        f.write(b"a" * 3000)
    os.truncate(p, 1000)
    os.truncate(p, 9000)  # the bytes from 1000 on read as zeros, not the old "a"s
    fd = os.open(p, os.O_RDWR)
    assert libc.fallocate(fd, 3, ctypes.c_long(100), ctypes.c_long(100)) == 0  # PUNCH_HOLE|KEEP_SIZE
    os.close(fd)
got, want = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert got == want, "contents differ from ext4's"
assert got[:100] == b"a" * 100 and got[100:200] == bytes(100) and got[200:1000] == b"a" * 800 and got[1000:] == bytes(8000)
fd = os.open(sys.argv[1], os.O_RDONLY)
assert os.lseek(fd, 0, os.SEEK_DATA) == 0
hole = os.lseek(fd, 0, os.SEEK_HOLE)
assert 1000 <= hole <= 4096, hole
os.close(fd)
PY
rm -f "$work/model/seek"

# --- names that do not exist: the kernel asks tierfs once, not at every lookup
url="$("$TIERFS" status --json "$mnt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metrics_url"])')"
python3 - "$mnt" "$url" <<'PY' && pass "a missing name is looked up once for 200 stats (negative entries)" || fail "negative entries" "see above"
import os, re, sys, urllib.request
mnt, url = sys.argv[1:]
def lookups():
    m = re.search(r'^tierfs_fuse_ops_total\{op="lookup"\} (\S+)$', urllib.request.urlopen(url).read().decode(), re.M)
    return int(float(m.group(1))) if m else 0
before = lookups()
for _ in range(200):
    try:
        os.stat(os.path.join(mnt, "no-such-header.h"))
    except FileNotFoundError:
        pass
    else:
        raise SystemExit("the missing name exists")
n = lookups() - before
assert n <= 2, "%d lookups" % n
open(os.path.join(mnt, "no-such-header.h"), "w").close()  # made through the mount: seen at once
os.stat(os.path.join(mnt, "no-such-header.h"))
os.unlink(os.path.join(mnt, "no-such-header.h"))
PY

# --- several processes make, rename and remove small files at once; the end matches ext4's
mkdir -p "$work/ext4"
python3 - "$mnt/par" "$work/ext4/par" <<'PY' && pass "4 processes x 500 small files made, renamed, half removed: the same tree as on ext4" || fail "parallel" "see above"
import hashlib, os, sys
from multiprocessing import Process
def worker(root, k):
    d = os.path.join(root, "w%d" % k)
    os.makedirs(d)
    for i in range(500):
        p = os.path.join(d, "f%d" % i)
        with open(p, "wb") as f:
            f.write(hashlib.sha256(b"%d-%d" % (k, i)).digest() * (i % 50))
        os.rename(p, p + ".r")
        if i % 2:
            os.unlink(p + ".r")
def tree(root):
    out = {}
    for dp, _, fs in os.walk(root):
        for f in fs:
            p = os.path.join(dp, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out
for root in sys.argv[1:]:
    ps = [Process(target=worker, args=(root, k)) for k in range(4)]
    [p.start() for p in ps]
    [p.join() for p in ps]
    assert all(p.exitcode == 0 for p in ps)
a, b = tree(sys.argv[1]), tree(sys.argv[2])
assert len(a) == 1000 and a == b, (len(a), len(b))
PY
rm -rf "$mnt/par"

# --- durable: kill -9 after fsync (remount.sh and kill9.sh cover clean remounts and the rest)
python3 - "$mnt/synced" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"committed\n" * 50)
    f.flush()
    os.fsync(f.fileno())
PY
kill -9 "$(daemon_pid "$data")"
sleep 1
fusermount -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null
tierfs_mount "$mnt" "$data" --hot-capacity 0 || { summary; exit 1; }
[[ "$(cat "$mnt/synced")" == "$(python3 -c 'print("committed\n" * 50, end="")')" ]] \
  && pass "a small file fsynced before kill -9 reads back" || fail "kill -9" "$(head -c 100 "$mnt/synced")"
cmp_all && pass "the other small files too" || fail "kill -9, others" "contents differ"
tierfs_unmount "$mnt"

# --- df counts small files' bytes, which live in the metadata store (tiers with limits: the
# host filesystem's own free space does not stand in for them)
tierfs_mount "$mnt" "$work/data2" --hot-capacity 0 --ssd-capacity 256M --hdd-capacity 256M || { summary; exit 1; }
used() { df -B1 --output=used "$mnt" | tail -1; }
before="$(used)"
python3 -c '
import os, sys
for i in range(3000):
    with open(os.path.join(sys.argv[1], "d%d" % i), "wb") as f:
        f.write(os.urandom(4000))' "$mnt"
grown=$(( $(used) - before ))
(( grown >= 11000000 )) && pass "df's used space grows by $grown bytes for 3000 small files of 4000 bytes" \
  || fail "df" "used grew by $grown bytes"
tierfs_unmount "$mnt"
summary
