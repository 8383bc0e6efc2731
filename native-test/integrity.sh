#!/usr/bin/env bash
# Sealed blocks through a real mount: blocks left alone are sealed; a byte flipped by hand in a
# tier file makes reads of that block (and only that block) fail with EIO, is counted and logged
# with the file's path; the bad copy is not overwritten by a remount; a write to a sealed block
# works and is sealed again; a clean unmount seals every block, even with seal-after off. With
# user.tierfs.replicas=2 (inherited from a directory) the same flip is served from the replica,
# counted, and rewritten from it; `tierfs scrub` finds and rewrites such a copy unread, names the
# blocks that have no good copy, and resumes after a remount.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-integrity.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data"
BS=131072
# no hot tier: its copies are checked when loaded, not at each read; this is about the tiers' reads
opts=(--hot-capacity 0 --seal-after 1)
tierfs_mount "$mnt" "$data" "${opts[@]}" || { summary; exit 1; }

integrity() { # FIELD: from tierfs status
  "$TIERFS" status --json "$mnt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["integrity"][sys.argv[1]])' "$1"
}
wait_sealed() { # N: until the mount has sealed at least N blocks (at most 20 s: a status waits for a fresh state)
  for _ in $(seq 20); do (( $(integrity sealed) >= $1 )) && return 0; sleep 0.2; done
  return 1
}
tier_file() { # PATH [TIER]: the tier file holding PATH's blocks (DATA/TIER/<ino % 256 in hex>/<ino>)
  local ino; ino="$(stat -c %i "$1")"
  echo "$data/${2:-ssd}/$(printf '%02x' $((ino & 255)))/$ino"
}
flip_byte() { # FILE OFFSET: changes one byte in place
  python3 - "$1" "$2" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
off = int(sys.argv[2])
b = os.pread(fd, 1, off)
os.pwrite(fd, bytes([b[0] ^ 0x40]), off)
os.fsync(fd)
os.close(fd)
EOF
}
read_block() { # FILE INDEX: one block with O_DIRECT, to stdout; fails as the read does
  dd if="$1" bs=$BS skip="$2" count=1 iflag=direct status=none
}

head -c $((3 * BS)) /dev/urandom > "$work/f.orig"
cp "$work/f.orig" "$mnt/f"
sync
wait_sealed 3 && pass "blocks left alone are sealed ($(integrity sealed) sealed)" || fail "sealing" "sealed=$(integrity sealed)"

flip_byte "$(tier_file "$mnt/f")" $((BS + 5000))
echo 3 > /proc/sys/vm/drop_caches   # no page cache of the mount (or of the tier file) hides the flip
err="$(read_block "$mnt/f" 1 2>&1 >/dev/null)"
[[ "$err" == *"Input/output error"* ]] && pass "a read of the block with a flipped byte fails with EIO" \
  || fail "EIO on the bad block" "dd said: $err"
cat "$mnt/f" >/dev/null 2>&1 && fail "a buffered read of the whole file" "succeeded" \
  || pass "a buffered read of the whole file fails too"
if cmp -s <(read_block "$mnt/f" 0) <(head -c $BS "$work/f.orig") \
   && cmp -s <(read_block "$mnt/f" 2) <(tail -c $BS "$work/f.orig"); then
  pass "the file's other blocks read back intact"
else
  fail "other blocks" "block 0 or 2 differs"
fi
echo 3 > /proc/sys/vm/drop_caches
# through the page cache too: a readahead that spans the bad block must not cost the good ones
if cmp -s <(dd if="$mnt/f" bs=$BS skip=2 count=1 status=none) <(tail -c $BS "$work/f.orig") \
   && cmp -s <(dd if="$mnt/f" bs=4096 count=1 status=none) <(head -c 4096 "$work/f.orig"); then
  pass "buffered reads of the other blocks read back intact"
else
  fail "buffered reads of other blocks" "block 0 or 2 differs"
fi
[[ "$(integrity checksumFailures)" == 1 ]] && pass "the failure is counted once" \
  || fail "counter" "checksumFailures=$(integrity checksumFailures)"
sleep 0.5
grep -q "checksum failure: /f (inode $(stat -c %i "$mnt/f")), block 1 .* on tier ssd" "$data/tierfs.log" \
  && pass "the log names the file's path, inode, block and tier" \
  || fail "log" "$(grep -i checksum "$data/tierfs.log" | tail -2)"

# a write to a sealed block: the block is unsealed first, reads back, and is sealed again
head -c $((2 * BS)) /dev/urandom > "$work/g.orig"
before="$(integrity sealed)"   # before the file is written: its blocks may be sealed within a second
cp "$work/g.orig" "$mnt/g"
sync
wait_sealed $((before + 2)) || true
sealed_before_write="$(integrity sealed)"
printf 'new bytes' | dd of="$mnt/g" bs=1 seek=1000 conv=notrunc status=none
printf 'new bytes' | dd of="$work/g.orig" bs=1 seek=1000 conv=notrunc status=none
sync
wait_sealed $((sealed_before_write + 1)) && pass "a block written after its seal is sealed again" \
  || fail "resealing" "sealed=$(integrity sealed)"
echo 3 > /proc/sys/vm/drop_caches
cmp -s "$mnt/g" "$work/g.orig" && pass "the write to a sealed block reads back, verified" \
  || fail "write to a sealed block" "contents differ"

tierfs_unmount "$mnt"
grep -qx 'format-version=5' "$data/volume.properties" && pass "the volume is format 5" \
  || fail "format" "$(grep format "$data/volume.properties")"

# remount with sealing off: the bad copy is still reported, not overwritten or resealed
tierfs_mount "$mnt" "$data" --hot-capacity 0 --seal-after 0 || { summary; exit 1; }
err="$(read_block "$mnt/f" 1 2>&1 >/dev/null)"
[[ "$err" == *"Input/output error"* ]] && pass "after a remount the bad block still fails: its copy was left as it was" \
  || fail "bad block after remount" "dd said: $err"
cmp -s "$mnt/g" "$work/g.orig" && pass "the rewritten file reads back after a remount" || fail "g after remount" "differs"
# with seal-after 0, nothing seals while mounted; the clean unmount seals everything
head -c $((2 * BS)) /dev/urandom > "$work/h.orig"
cp "$work/h.orig" "$mnt/h"
sync
h_tier="$(tier_file "$mnt/h")"
sleep 2
[[ "$(integrity sealed)" == 0 ]] && pass "seal-after 0 seals nothing while mounted" || fail "seal-after 0" "sealed=$(integrity sealed)"
tierfs_unmount "$mnt"
flip_byte "$h_tier" 10
tierfs_mount "$mnt" "$data" --hot-capacity 0 || { summary; exit 1; }
err="$(read_block "$mnt/h" 0 2>&1 >/dev/null)"
[[ "$err" == *"Input/output error"* ]] && pass "a clean unmount sealed the blocks written last (a flip made offline is caught)" \
  || fail "sealed at unmount" "dd said: $err"
cmp -s <(read_block "$mnt/h" 1) <(tail -c $BS "$work/h.orig") && pass "h's other block reads" || fail "h block 1" "differs"
tierfs_unmount "$mnt"

# replicas: inherited from a directory; a flipped byte is served from the other copy and rewritten
tierfs_mount "$mnt" "$data" "${opts[@]}" || { summary; exit 1; }
replicas() { getfattr --absolute-names --only-values -n user.tierfs.tiers "$1" | tr ' ' '\n' | sed -n 's/^replicas=//p'; }
wait_for() { # COMMAND...: until it succeeds (at most 20 s)
  for _ in $(seq 100); do "$@" && return 0; sleep 0.2; done
  return 1
}
mkdir "$mnt/safe"
err="$(setfattr -n user.tierfs.replicas -v 3 "$mnt/safe" 2>&1)"
[[ "$err" == *"Invalid argument"* ]] && pass "replicas other than 1 or 2 are refused (EINVAL)" || fail "replicas=3" "setfattr said: $err"
setfattr -n user.tierfs.replicas -v 2 "$mnt/safe"
head -c $((3 * BS)) /dev/urandom > "$work/r.orig"
cp "$work/r.orig" "$mnt/safe/r"
sync
[[ "$(getfattr --absolute-names --only-values -n user.tierfs.replicas "$mnt/safe/r")" == 2 ]] \
  && pass "a file made in the directory inherits its replicas" || fail "inherited replicas" "none"
wait_for eval '[[ "$(replicas "$mnt/safe/r")" == 3 ]]' && pass "its sealed blocks get replicas ($(getfattr --absolute-names --only-values -n user.tierfs.tiers "$mnt/safe/r"))" \
  || fail "replicas made" "$(getfattr --only-values -n user.tierfs.tiers "$mnt/safe/r")"
r_ssd="$(tier_file "$mnt/safe/r")" r_hdd="$(tier_file "$mnt/safe/r" hdd)"
python3 -c 'import json,sys; f=json.load(sys.stdin); sys.exit(0 if (f["blocks"], f["replicas"], f["storedBytes"]) == (3, 3, 6 * 131072) else 1)' \
  < <("$TIERFS" where --json "$mnt/safe/r") && pass "tierfs where counts its blocks, replicas and stored bytes" \
  || fail "where" "$("$TIERFS" where --json "$mnt/safe/r")"
cmp -s <(dd if="$r_hdd" bs=$BS skip=1 count=1 status=none) <(dd if="$work/r.orig" bs=$BS skip=1 count=1 status=none) \
  && pass "the replica is a copy of the block in the hdd tier's file" || fail "replica bytes" "differ"
flip_byte "$r_ssd" $((BS + 5000))
echo 3 > /proc/sys/vm/drop_caches
cmp -s <(read_block "$mnt/safe/r" 1) <(dd if="$work/r.orig" bs=$BS skip=1 count=1 status=none) \
  && pass "a read of the block with a flipped byte gets the good bytes, from the replica" || fail "read from replica" "differs or failed"
cmp -s "$mnt/safe/r" "$work/r.orig" && pass "the whole file reads back" || fail "whole file" "differs"
wait_for eval '(( $(integrity repaired) >= 1 ))' && pass "the bad copy is rewritten from the replica (repaired=$(integrity repaired), replicaReads=$(integrity replicaReads), checksumFailures=$(integrity checksumFailures))" \
  || fail "repair" "repaired=$(integrity repaired)"
cmp -s <(dd if="$r_ssd" bs=$BS skip=1 count=1 status=none) <(dd if="$work/r.orig" bs=$BS skip=1 count=1 status=none) \
  && pass "the ssd tier's file holds the good bytes again" || fail "rewritten copy" "differs"
sleep 0.5
grep -q "checksum failure: /safe/r (inode $(stat -c %i "$mnt/safe/r")), block 1 .*served from its replica" "$data/tierfs.log" \
  && pass "the log names the file and says the read was served from the replica" || fail "log" "$(grep -i replica "$data/tierfs.log" | tail -2)"
# the other copy rots now: the rewritten one serves
flip_byte "$r_hdd" $((BS + 77))
echo 3 > /proc/sys/vm/drop_caches
cmp -s "$mnt/safe/r" "$work/r.orig" && pass "after the repair, a flip in the other copy is served from the rewritten one" \
  || fail "second flip" "differs or failed"
setfattr -n user.tierfs.replicas -v 1 "$mnt/safe/r"
wait_for eval '[[ "$(replicas "$mnt/safe/r")" == 0 ]]' && pass "back to one replica, the replicas are dropped" \
  || fail "replicas dropped" "$(getfattr --only-values -n user.tierfs.tiers "$mnt/safe/r")"
cmp -s "$mnt/safe/r" "$work/r.orig" && pass "and the file still reads back" || fail "after dropping" "differs"

# scrub: finds a bad copy no read touched and rewrites it from its replica; names the blocks with
# no good copy (f's and h's, flipped above); stopped, it stays stopped across a remount and resumes
head -c $((2 * BS)) /dev/urandom > "$work/s.orig"
cp "$work/s.orig" "$mnt/safe/s"
sync
wait_for eval '[[ "$(replicas "$mnt/safe/s")" == 2 ]]' || fail "replicas of s" "$(getfattr --only-values -n user.tierfs.tiers "$mnt/safe/s")"
s_ssd="$(tier_file "$mnt/safe/s")"
flip_byte "$s_ssd" 300
"$TIERFS" scrub --no-wait --rate 4K "$mnt" >/dev/null
sleep 1
out="$("$TIERFS" scrub --stop "$mnt")"   # exit status 4: f's bad block was found already
[[ "$out" == "scrub stopped"* ]] && pass "a slow scrub is stopped ($out)" || fail "scrub --stop" "$out"
tierfs_unmount "$mnt"
tierfs_mount "$mnt" "$data" "${opts[@]}" || { summary; exit 1; }
scrub_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
[[ "$("$TIERFS" scrub --status --json "$mnt" | scrub_field phase)" == stopped ]] \
  && pass "a stopped scrub stays stopped across a remount" || fail "scrub after remount" "$("$TIERFS" scrub --status "$mnt")"
"$TIERFS" scrub --json "$mnt" > "$work/scrub.json"
rc=$?
[[ $rc == 4 && "$(scrub_field phase < "$work/scrub.json")" == done ]] && pass "the resumed scrub ends, exit status 4 (blocks with no good copy)" \
  || fail "scrub" "exit $rc: $(cat "$work/scrub.json")"
(( $(scrub_field repaired < "$work/scrub.json") >= 1 )) && pass "it rewrote the bad copy from its replica" || fail "scrub repair" "$(cat "$work/scrub.json")"
f_ino="$(stat -c %i "$mnt/f")" h_ino="$(stat -c %i "$mnt/h")"
python3 - "$work/scrub.json" "$f_ino" "$h_ino" <<'EOF' && pass "it names the unrecoverable blocks with their paths" || fail "unrecoverable blocks" "$(cat "$work/scrub.json")"
import json, sys
s = json.load(open(sys.argv[1]))
want = {f"/f (inode {sys.argv[2]}) block 1", f"/h (inode {sys.argv[3]}) block 0"}
sys.exit(0 if s["unrecoverable"] == 2 and set(s["unrecoverableBlocks"]) == want else 1)
EOF
cmp -s <(dd if="$s_ssd" bs=$BS count=1 status=none) <(head -c $BS "$work/s.orig") \
  && pass "the ssd tier's file holds the good bytes again" || fail "scrubbed copy" "differs"
cmp -s "$mnt/safe/s" "$work/s.orig" && pass "the scrubbed file reads back" || fail "s" "differs"
tierfs_unmount "$mnt"
summary
