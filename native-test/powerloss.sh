#!/usr/bin/env bash
# Power-loss test. tierfs's whole data folder (RocksDB and the tier files) sits on lossyfs, a FUSE
# layer that keeps every write in memory until it is fsynced. At a random moment lossyfs "loses
# power": every unsynced write is gone. Then tierfs is killed -9, both are remounted, tierfs
# recovers, and the durability contract is checked against the log of what was acknowledged:
# fsynced files whole, the atomically replaced file a whole version no older than the last one
# acknowledged, every in-place record old or new (never torn or garbage), every file readable.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-powerloss.XXXXXX)"
lossy_pid= writer= reader=
stop_lossyfs() {
  fusermount -uz "$work/lossy" 2>/dev/null
  [[ -n "$lossy_pid" ]] && { for _ in $(seq 100); do kill -0 "$lossy_pid" 2>/dev/null || break; sleep 0.05; done; kill -9 "$lossy_pid" 2>/dev/null; }
  lossy_pid=
}
trap 'for p in $writer $reader; do kill -9 "$p" 2>/dev/null; done; cleanup_mounts; stop_lossyfs; rm -rf "$work"' EXIT
trials="${POWERLOSS_TRIALS:-4}"  # sqlite-crash.sh cuts the power twice more, under a database
mkdir -p "$work/bin" "$work/backing" "$work/lossy" "$work/mnt"
gcc -O2 -Wall -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse) "$REPO/native-test/lossyfs/lossyfs.c" \
  -o "$work/bin/lossyfs" $(pkg-config --libs fuse) -lpthread || { fail build "lossyfs did not compile"; summary; exit 1; }

start_lossyfs() {
  "$work/bin/lossyfs" -f "$work/backing" "$work/lossy" -o strict_dirs,quiet 2>>"$work/lossyfs.log" & lossy_pid=$!
  for _ in $(seq 100); do grep -q " $work/lossy fuse" /proc/mounts && return 0; sleep 0.05; done
  return 1
}

log="$work/acked.log"
sealed_total=0
for trial in $(seq 1 "$trials"); do
  start_lossyfs || { fail "trial $trial" "lossyfs did not mount"; break; }
  if ! tierfs_mount "$work/mnt" "$work/lossy/data" "${MIGRATION_OPTS[@]}"; then fail "trial $trial: mount after power loss" "$(tail -2 "$work/lossy/data/tierfs.log" 2>/dev/null)"; break; fi
  if [[ $trial -gt 1 ]]; then
    if res="$(python3 "$REPO/native-test/crashwriter.py" check "$work/mnt/w" "$log")" \
       && [[ "$res" =~ checked\ [1-9][0-9]*\ acknowledged ]]; then
      pass "trial $((trial - 1)): ${res##*$'\n'}"
    else
      fail "trial $((trial - 1)): durability contract" "$(echo "$res" | tr '\n' ' ')"
    fi
    find "$work/mnt" -type f -exec cat {} + >/dev/null 2>"$work/err" && pass "trial $((trial - 1)): every file reads back" \
      || fail "trial $((trial - 1)): reads" "$(head -3 "$work/err")"
  else
    mkdir "$work/mnt/w"
    setfattr -n user.tierfs.replicas -v 2 "$work/mnt/w" # replicas are made and dropped as the power goes
    dfd_sync() { python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$1"; }
    dfd_sync "$work/mnt"
    # fsync must cover writes made through an earlier open, even after the kernel dropped the inode
    # (drop_caches makes it send FORGET) and tierfs rebuilt its state from the store.
    head -c 300000 /dev/urandom > "$work/evicted"
    cp "$work/evicted" "$work/mnt/w/evicted"
    echo 2 > /proc/sys/vm/drop_caches
    python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.close(fd)' "$work/mnt/w/evicted"
    dfd_sync "$work/mnt/w"
    echo "file $work/mnt/w/evicted $(md5sum < "$work/evicted" | cut -c1-32)" >> "$log"
    # A failed fsync stays failed. lossyfs fails the next fsync of a tier file and loses its
    # unsynced writes, then answers the retry with success, as the kernel does after a failed
    # write-back; tierfs must not pass that success on.
    head -c 200000 /dev/urandom > "$work/mnt/failsync"
    ino="$(stat -c %i "$work/mnt/failsync")"   # the tier file is data/ssd/<ino % 256 in hex>/<ino>
    echo "fail_fsync /data/ssd/$(printf '%02x' $((ino & 255)))/$ino" > "$work/lossy/.lossyfs-crash"
    out="$(python3 - "$work/mnt/failsync" <<'EOF'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for attempt in ("first", "retried"):
    try:
        os.fsync(fd)
        print(attempt, "ok")
    except OSError as e:
        print(attempt, errno.errorcode.get(e.errno, e.errno))
EOF
)"
    if [[ "$out" == $'first EIO\nretried EIO' ]] && grep -qx 'fail_fsync=' "$work/lossy/.lossyfs-crash"; then
      pass "a failed fsync keeps failing when retried"
    else
      fail "a failed fsync keeps failing when retried" "$(echo $out; grep fail_fsync "$work/lossy/.lossyfs-crash")"
    fi
  fi
  [[ $trial -eq $trials ]] && { tierfs_unmount "$work/mnt"; break; }
  pid="$(daemon_pid "$work/lossy/data")"
  python3 "$REPO/native-test/crashwriter.py" write "$work/mnt/w" "$log" "t$trial" & writer=$!
  read_pressure "$work/mnt/w" & reader=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 3), 2))')"
  # the cut comes while blocks move: on a loaded machine the first move may come later (small
  # files, kept inline, give the migrator nothing; the writer's larger ones do)
  for _ in $(seq 100); do (( $(migrated "$work/lossy/data") > 0 )) && break; sleep 0.1; done
  moved="$(migrated "$work/lossy/data")" sealed="$(sealed_blocks "$work/lossy/data")"
  sealed_total=$((sealed_total + sealed))
  echo crash > "$work/lossy/.lossyfs-crash"         # power is lost: unsynced writes are gone
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  wait "$writer" 2>/dev/null; writer=
  kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null; reader=
  ((moved > 0)) && pass "trial $trial: power lost while migrating ($((moved / 1024)) KiB moved, $sealed blocks sealed)" \
    || fail "trial $trial: migration under way" "nothing had moved before the power cut"
  "$TIERFS" unmount "$work/mnt" >/dev/null 2>&1 || fusermount -uz "$work/mnt"
  stop_lossyfs
done
((sealed_total > 0)) && pass "blocks were being sealed when the power went ($sealed_total in all), and none failed its checksum after" \
  || fail "sealing under way" "no block was sealed before any power cut"
summary
