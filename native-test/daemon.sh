#!/usr/bin/env bash
# The daemon's life: status, signals (clean shutdown on SIGTERM and SIGINT), a private data folder.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-daemon.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data"

tierfs_mount "$mnt" "$data" --ssd-capacity 64M || { summary; exit 1; }
pid="$(daemon_pid "$data")"
dd if=/dev/urandom of="$mnt/f" bs=1M count=3 status=none
json="$("$TIERFS" status --json "$mnt")"
if python3 - "$json" "$pid" "$data" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert s["pid"] == int(sys.argv[2]) and s["data"] == sys.argv[3], s
t = {x["name"]: x for x in s["tiers"]}
assert set(t) == {"hot", "ssd", "hdd"}, t
assert t["ssd"]["capacityBytes"] == 64 << 20, t["ssd"]
assert t["ssd"]["usedBytes"] + t["hdd"]["usedBytes"] >= 3 << 20
PY
then pass "status --json: pid, data folder, tiers with capacity and use"; else fail "status --json" "$json"; fi
"$TIERFS" status "$mnt" | grep -q "^ssd .*64.0M" && pass "status table" || fail "status table" "$("$TIERFS" status "$mnt")"

loose="$(find "$data" \( -type d -perm /077 \) -o \( -type f -perm /077 \) | head -3)"
[[ -z "$loose" ]] && pass "data folder is private (0700 dirs, 0600 files)" || fail "data folder private" "$loose"
[[ -s "$data/tierfs.log" ]] && pass "daemon logs to DATA/tierfs.log" || fail "log" "no DATA/tierfs.log"

for sig in TERM INT; do
  pid="$(daemon_pid "$data")"
  # A process started from a background job inherits SIGINT ignored, and the JVM then leaves it so
  if [[ $sig == INT ]] && (( 0x$(awk '/^SigIgn/ {print $2}' "/proc/$pid/status") & 2 )); then
    fail "SIGINT" "the daemon inherited SIGINT ignored (this suite was started from a background job); run it in the foreground"
    continue
  fi
  echo "$sig" > "$mnt/last-signal"
  kill -"$sig" "$pid"
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$pid" 2>/dev/null; then fail "SIG$sig" "daemon still running after 10 s"; continue; fi
  grep -q " $mnt fuse" /proc/mounts && fail "SIG$sig" "mount left behind" || pass "SIG$sig: daemon exits and unmounts"
  tail -1 "$data/tierfs.log" | grep -q "stopped" && pass "SIG$sig: shutdown finished (log)" || fail "SIG$sig: log" "$(tail -1 "$data/tierfs.log")"
  tierfs_mount "$mnt" "$data"
  grep "recovery" "$data/tierfs.log" | tail -1 | grep -q "(clean shutdown)" && pass "SIG$sig: next mount sees a clean shutdown" \
    || fail "SIG$sig: clean" "$(grep recovery "$data/tierfs.log" | tail -1)"
  [[ "$(cat "$mnt/last-signal")" == "$sig" ]] && pass "SIG$sig: unsynced data written before the signal is kept" || fail "SIG$sig: data" "lost"
done
tierfs_unmount "$mnt"

# What tierfs asks the kernel for at FUSE_INIT is what the kernel does (seen from the daemon's
# reads of /dev/fuse): 1 MiB write requests (1 MiB + the 80-byte request header), no lookup of
# security.capability (a 68-byte GETXATTR request) before each buffered write, a 1 MiB readahead.
tierfs_mount "$mnt" "$data" || { summary; exit 1; }
pid="$(daemon_pid "$data")"
strace -f -qq -e trace=read -o "$work/strace" -p "$pid" & spid=$!
for _ in $(seq 50); do [[ -s "$work/strace" ]] && break; sleep 0.1; done
sleep 0.5
dd if=/dev/zero of="$mnt/big-requests" bs=1M count=4 oflag=direct status=none
dd if=/dev/zero of="$mnt/small-writes" bs=4k count=50 status=none
sleep 0.5; kill "$spid"; wait "$spid" 2>/dev/null
megabyte="$(grep -c ') = 1048656$' "$work/strace")"
((megabyte >= 4)) && pass "FUSE: 1 MiB write requests" || fail "FUSE: 1 MiB requests" "$megabyte reads of 1 MiB + header"
lookups="$(grep -c ') = 68$' "$work/strace")"
((lookups <= 2)) && pass "FUSE: no security.capability lookup before each buffered write ($lookups for 50 writes)" \
  || fail "FUSE: killpriv" "$lookups GETXATTR-sized requests for 50 buffered writes"
ra="$(cat "/sys/class/bdi/$(mountpoint -d "$mnt")/read_ahead_kb")"
[[ "$ra" == 1024 ]] && pass "FUSE: 1 MiB readahead" || fail "FUSE: readahead" "read_ahead_kb is $ra"
tierfs_unmount "$mnt"

# Full tiers: new blocks fall from ssd to hdd; when both are full, writes fail with ENOSPC and
# nothing already written is lost; deleting files gives the space back.
tierfs_mount "$work/small" "$work/smalldata" --ssd-capacity 1M --hdd-capacity 2M || { summary; exit 1; }
head -c 1048576 /dev/urandom > "$work/a"; head -c 1572864 /dev/urandom > "$work/b"
cp "$work/a" "$work/small/a" && cp "$work/b" "$work/small/b" && pass "full tier: blocks overflow from ssd to hdd" \
  || fail "full tier: overflow" "could not write 2.5M into 1M ssd + 2M hdd"
err="$(dd if=/dev/zero of="$work/small/c" bs=1M count=4 2>&1)"
[[ "$err" == *"No space left on device"* ]] && pass "full tiers: ENOSPC" || fail "full tiers: ENOSPC" "$err"
cmp -s "$work/a" "$work/small/a" && cmp -s "$work/b" "$work/small/b" && pass "full tiers: earlier files intact" \
  || fail "full tiers: earlier files" "changed"
rm "$work/small/c" "$work/small/b"
sleep 1.5  # the reclaimer frees deleted files' blocks after a metadata sync
head -c 1048576 /dev/urandom > "$work/d"
cp "$work/d" "$work/small/d" && cmp -s "$work/d" "$work/small/d" && pass "full tiers: space comes back after rm" \
  || fail "full tiers: space back" "write after rm failed"
tierfs_unmount "$work/small"
summary
