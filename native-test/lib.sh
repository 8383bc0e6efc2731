# Shared helpers for tests that drive a real tierfs mount. Source it; it needs $REPO.
# Every mount made here is recorded and unmounted by cleanup_mounts, which the caller traps on EXIT.

TIERFS="$REPO/tierfs"
MOUNTS_MADE=()
PASSED=0
FAILED=0

pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1: $2"; FAILED=$((FAILED + 1)); }

# tierfs_mount MOUNTPOINT DATA [options...]: fails (non-zero, and a FAIL line) unless tierfs
# really serves MOUNTPOINT, so that no test runs against the bare directory underneath
tierfs_mount() {
  local mnt="$1" data="$2"; shift 2
  mkdir -p "$mnt"
  MOUNTS_MADE+=("$mnt")
  "$TIERFS" mount --data "$data" "$@" "$mnt" >/dev/null
  if ! grep -q " $mnt fuse.tierfs " /proc/mounts; then
    fail "mount $mnt" "tierfs is not mounted there"
    return 1
  fi
}

tierfs_unmount() {
  "$TIERFS" unmount "$1" >/dev/null
}

daemon_pid() { # the pid serving MOUNTPOINT, from the data folder's daemon.json
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$1/daemon.json"
}

cleanup_mounts() {
  local m
  for m in "${MOUNTS_MADE[@]}"; do
    if grep -q " $m fuse" /proc/mounts; then
      "$TIERFS" unmount "$m" >/dev/null 2>&1 || fusermount -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    fi
  done
}

summary() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}

# Small tiers and a fast migrator, so that a test's writes keep the migrator busy moving blocks
# down (the ssd tier overflows) and up (see read_pressure): crash tests then crash mid-migration.
MIGRATION_OPTS=(--hot-capacity 1M --ssd-capacity 4M --migrate-rate 1G --seal-after 1)

# read_pressure DIR: reads the files in DIR over and over, skewed towards a few, with O_DIRECT
# (past the page cache), so that blocks climb into the faster tiers. Run it in the background
# (it execs python, so the pid $! is the reader's own and kill stops it).
read_pressure() {
  exec python3 - "$1" <<'PY'
import mmap, os, random, sys, time
buf = mmap.mmap(-1, 4096)
while True:
    try:
        names = sorted(os.listdir(sys.argv[1]))[:8]
        for name in random.choices(names, k=50) if names else []:
            fd = os.open(os.path.join(sys.argv[1], name), os.O_RDONLY | os.O_DIRECT)
            size = os.fstat(fd).st_size
            for _ in range(8):
                os.preadv(fd, [buf], random.randrange(0, max(size, 1), 4096) & ~4095)
            os.close(fd)
    except OSError:
        time.sleep(0.01)  # the mount died under it, or a file went: keep going until killed
PY
}

# migrated DATA: bytes the migrator moved since the daemon serving DATA started
sealed_blocks() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("integrity", {}).get("sealed", 0))' "$1/daemon.json"; }
migrated() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["migration"].get("bytesMigrated", 0))' "$1/daemon.json"; }
