#!/usr/bin/env bash
# Sealed blocks through a real mount: blocks left alone are sealed; a byte flipped by hand in a
# tier file makes reads of that block (and only that block) fail with EIO, is counted and logged
# with the file's path; the bad copy is not overwritten by a remount; a write to a sealed block
# works and is sealed again; a clean unmount seals every block, even with seal-after off.
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
wait_sealed() { # N: until the mount has sealed at least N blocks (at most 20 s)
  for _ in $(seq 100); do (( $(integrity sealed) >= $1 )) && return 0; sleep 0.2; done
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
cp "$work/g.orig" "$mnt/g"
sync
before="$(integrity sealed)"
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
grep -qx 'format-version=3' "$data/volume.properties" && pass "the volume is format 3" \
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
summary
