#!/usr/bin/env bash
# Tiering through a real mount: a data set several times the hot and ssd tiers, a subset read over
# and over climbs into the hot tier (seen through user.tierfs.tiers) while every capacity holds;
# a scan does not flush it; pins move files and stay; a pin that cannot fit is refused; a writer
# racing the moves loses nothing; a clean remount keeps the hot set; the virtual attributes are
# never listed or copied; a write replacing whole hot blocks drops their copies.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-tiering.XXXXXX)"
writer=
trap '[[ -n "$writer" ]] && kill "$writer" 2>/dev/null; cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data"
MiB=1048576 BS=131072
opts=(--hot-capacity 8M --ssd-capacity 32M --migrate-rate 256M)
tierfs_mount "$mnt" "$data" "${opts[@]}" || { summary; exit 1; }

tiers() { getfattr --absolute-names --only-values -n user.tierfs.tiers "$1" 2>/dev/null; }
count() { tiers "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
status_json() { "$TIERFS" status --json "$mnt"; }
tier_used() { status_json | python3 -c 'import json,sys
print([t for t in json.load(sys.stdin)["tiers"] if t["name"]==sys.argv[1]][0]["usedBytes"])' "$1"; }
# the subset: the first 4 MiB (32 blocks) of file b, read 4 KiB at a time with O_DIRECT
read_subset() { fio --name=s --filename="$mnt/b" --rw=randread --bs=4k --direct=1 --size=4m --time_based \
  --runtime="$1" --output=/dev/null >/dev/null 2>&1; }

# a write replacing whole hot blocks (on ssd, the volume still empty) drops their hot copies
# instead of copying the stream into memory too; their next reads bring them back up
read_h() { fio --name=h --filename="$mnt/h" --rw=randread --bs=4k --direct=1 --size=1m --time_based \
  --runtime="$1" --output=/dev/null >/dev/null 2>&1; }
head -c "$MiB" /dev/urandom > "$mnt/h" && sync
read_h 3
before="$(tiers "$mnt/h")"
head -c "$MiB" /dev/urandom > "$work/h"
dd if="$work/h" of="$mnt/h" bs=1M oflag=direct conv=notrunc status=none
rewritten="$(tiers "$mnt/h")"
read_h 3
[[ "$before" == "hot=8 ssd=0 "* && "$rewritten" == "hot=0 ssd=8 "* && "$(count "$mnt/h" hot)" == 8 ]] && cmp -s "$work/h" "$mnt/h" \
  && pass "a write replacing whole hot blocks drops their copies, and reads bring them back: $before, $rewritten, $(tiers "$mnt/h")" \
  || fail "hot blocks rewritten whole" "$before, then $rewritten, then $(tiers "$mnt/h")"
rm "$mnt/h"

for f in a b c d e f; do head -c $((16 * MiB)) /dev/urandom > "$mnt/$f"; done
sync
md5sum "$mnt"/? | sed "s|$mnt/||" > "$work/sums"
read_subset 8
hot_b="$(count "$mnt/b" hot)"
hot_used="$(tier_used hot)" ssd_used="$(tier_used ssd)"
(( hot_b >= 28 )) && pass "a subset read over and over climbs to the hot tier: b has $(tiers "$mnt/b")" \
  || fail "subset climbs" "b has $(tiers "$mnt/b")"
(( hot_used <= 8 * MiB && ssd_used <= 32 * MiB )) && pass "capacities hold: hot $((hot_used / MiB)) MiB of 8, ssd $((ssd_used / MiB)) MiB of 32" \
  || fail "capacities" "hot $hot_used, ssd $ssd_used"

cat "$mnt"/? > /dev/null   # a backup's one pass over everything
read_subset 2
(( $(count "$mnt/b" hot) >= 28 )) && pass "a scan of the whole data set leaves the hot set hot: b has $(tiers "$mnt/b")" \
  || fail "scan resistance" "b has $(tiers "$mnt/b") after the scan"

# pins
err="$(setfattr -n user.tierfs.pin -v hot "$mnt/c" 2>&1)"
[[ "$err" == *"No space left on device"* ]] && pass "a pin that cannot fit is refused with ENOSPC" || fail "pin too big" "$err"
setfattr -n user.tierfs.pin -v hdd "$mnt/b"
head -c $((2 * MiB)) /dev/urandom > "$mnt/small"; setfattr -n user.tierfs.pin -v hot "$mnt/small"
for _ in $(seq 60); do [[ "$(count "$mnt/b" hdd)" == 128 && "$(count "$mnt/small" hot)" == 16 ]] && break; sleep 0.5; done
read_subset 3   # read the pinned-down file hard: the pin still wins
[[ "$(count "$mnt/b" hdd)" == 128 && "$(count "$mnt/small" hot)" == 16 ]] \
  && pass "pins move files and keep them: b $(tiers "$mnt/b"), small $(tiers "$mnt/small")" \
  || fail "pins" "b $(tiers "$mnt/b"), small $(tiers "$mnt/small")"
mkdir "$mnt/cold"; setfattr -n user.tierfs.pin -v hdd "$mnt/cold"
head -c $MiB /dev/urandom > "$mnt/cold/new"
for _ in $(seq 40); do [[ "$(count "$mnt/cold/new" hdd)" == 8 ]] && break; sleep 0.25; done
[[ "$(getfattr --absolute-names --only-values -n user.tierfs.pin "$mnt/cold/new")" == hdd && "$(count "$mnt/cold/new" hdd)" == 8 ]] \
  && pass "a file made in a pinned directory inherits its pin" || fail "inherited pin" "$(tiers "$mnt/cold/new")"
setfattr -x user.tierfs.pin "$mnt/b"

# the virtual attributes are read-only and never listed, so cp -a and rsync -X never copy them
names="$(getfattr -d -m - "$mnt/small" 2>/dev/null | grep -c 'tierfs\.\(tiers\|blocks\)')"
err="$(setfattr -n user.tierfs.tiers -v x "$mnt/small" 2>&1)"
[[ $names == 0 && "$err" == *"not permitted"* ]] && pass "user.tierfs.tiers and .blocks are read-only and not listed" \
  || fail "virtual attributes" "listed $names, set: $err"
"$TIERFS" where --blocks "$mnt/small" > "$work/where" && grep -q "^  0-15  hot$" "$work/where" \
  && pass "tierfs where --blocks: $(head -1 "$work/where")" || fail "where" "$(cat "$work/where")"

# a writer racing the moves: file r is pinned back and forth between ssd and hdd while a
# writer rewrites it; what it wrote last must be there
head -c $((4 * MiB)) /dev/zero > "$mnt/r"
python3 - "$mnt/r" "$work/r.model" <<'EOF' & writer=$!
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
model = bytearray(4 << 20)
end = time.time() + 8
r = random.Random(1)
while time.time() < end:
    off, n = r.randrange(0, (4 << 20) - 8192), r.randrange(1, 8192)
    data = os.urandom(n)
    os.pwrite(fd, data, off)
    model[off:off + n] = data
os.fsync(fd)
open(sys.argv[2], "wb").write(model)
EOF
for i in $(seq 16); do setfattr -n user.tierfs.pin -v "$([[ $((i % 2)) == 0 ]] && echo ssd || echo hdd)" "$mnt/r"; sleep 0.5; done
wait "$writer"; writer=
moved="$(status_json | python3 -c 'import json,sys; m=json.load(sys.stdin)["migration"]; print(m["demotions"], m["spoiledByWrites"])')"
echo 3 > /proc/sys/vm/drop_caches
cmp -s "$mnt/r" "$work/r.model" && pass "no write lost to the moves racing it (demotions, moves given up to writes: $moved)" \
  || fail "writes racing moves" "the file differs from what was written"

# a clean remount: the hot set and every byte come back
tiers "$mnt/small" > "$work/before"
tierfs_unmount "$mnt"
tierfs_mount "$mnt" "$data" "${opts[@]}" || { summary; exit 1; }
[[ "$(tiers "$mnt/small")" == "$(cat "$work/before")" ]] && pass "a clean remount keeps the hot tier: small $(tiers "$mnt/small")" \
  || fail "warm restart" "$(cat "$work/before") before, $(tiers "$mnt/small") after"
grep -q "placement resumed from the last clean unmount" "$data/tierfs.log" && pass "the policy resumes from its saved state" \
  || fail "placement state" "not resumed"
(cd "$mnt" && md5sum -c --quiet "$work/sums") && pass "every file reads back intact after all the moves" || fail "data" "checksums differ"
tierfs_unmount "$mnt"
summary
