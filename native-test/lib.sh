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
