#!/usr/bin/env bash
# kill -9 test: the daemon is killed while a writer fsyncs files and overwrites records in place.
# `tierfs unmount` must clear the dead mount, `tierfs mount` must recover, and everything the
# filesystem acknowledged must be there, with no torn or garbage record. Several rounds, at random
# moments, with tiers small enough (and a reader) that the migrator is moving blocks when it dies.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-kill9.XXXXXX)"
writer= holder= reader=
trap 'for p in $writer $holder $reader; do kill -9 "$p" 2>/dev/null; done; cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data" log="$work/acked.log"
rounds="${KILL9_ROUNDS:-3}"

tierfs_mount "$mnt" "$data" "${MIGRATION_OPTS[@]}" || { summary; exit 1; }
mkdir "$mnt/w"
setfattr -n user.tierfs.replicas -v 2 "$mnt/w" # replicas are made, swapped and dropped as it dies
for round in $(seq 1 "$rounds"); do
  if [[ $round -eq 1 ]]; then
    # An extending write whose new size never became durable: 100 bytes fsynced, 200 more
    # appended, the file still open when the daemon dies. Its data is in the tier file, its size
    # is not; once the file grows again, those bytes must read as zeros.
    python3 - "$mnt/tail" "$work/tail.ready" <<'EOF' & holder=$!
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"a" * 100)
os.fsync(fd)
os.write(fd, b"x" * 200)
open(sys.argv[2], "w").close()
time.sleep(600)
EOF
    for _ in $(seq 100); do [[ -e "$work/tail.ready" ]] && break; sleep 0.05; done
  fi
  python3 "$REPO/native-test/crashwriter.py" write "$mnt/w" "$log" "r$round" & writer=$!
  read_pressure "$mnt/w" & reader=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(1.5, 4), 2))')"
  # the kill comes while blocks move: on a loaded machine the first move may come later (the
  # hot tier comes back warm after a remount, so the reader's files may need no promotion)
  for _ in $(seq 100); do (( $(migrated "$data") > 0 )) && break; sleep 0.1; done
  pid="$(daemon_pid "$data")"
  moved="$(migrated "$data")" sealed="$(sealed_blocks "$data")"
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  wait "$writer" 2>/dev/null; writer=
  kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null; reader=
  ((moved > 0)) && pass "round $round: killed while migrating ($((moved / 1024)) KiB moved, $sealed blocks sealed)" \
    || fail "round $round: migration under way" "nothing had moved before the kill"
  [[ -n "$holder" ]] && { kill -9 "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; holder=; }
  out="$("$TIERFS" unmount "$mnt" 2>&1)"
  if [[ "$out" == *"cleared stale mount"* ]]; then pass "round $round: unmount clears the dead mount"; else fail "round $round: unmount of dead mount" "$out"; fi
  if ! tierfs_mount "$mnt" "$data" "${MIGRATION_OPTS[@]}"; then fail "round $round: mount after kill -9" "mount failed"; break; fi
  pass "round $round: mount after kill -9 recovers"
  # a writer that never got a write acknowledged would leave nothing to check: that fails too
  if res="$(python3 "$REPO/native-test/crashwriter.py" check "$mnt/w" "$log")" \
     && [[ "$res" =~ checked\ [1-9][0-9]*\ acknowledged ]]; then
    pass "round $round: ${res##*$'\n'}"
  else
    fail "round $round: acknowledged data" "$(echo "$res" | tr '\n' ' ')"
  fi
  if [[ $round -eq 1 ]]; then
    if [[ -e "$work/tail.ready" ]] && truncate -s 1000 "$mnt/tail" \
       && python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(d != b"a" * 100 + bytes(900))' "$mnt/tail"; then
      pass "round 1: growing a file reads zeros where an unacknowledged extension was"
    else
      fail "round 1: unacknowledged extension" "$(od -c "$mnt/tail" 2>&1 | head -4 | tr '\n' ' ')"
    fi
  fi
  if find "$mnt" -type f -exec cat {} + >/dev/null 2>"$work/err"; then pass "round $round: every file reads back"; else fail "round $round: reads" "$(head -3 "$work/err")"; fi
  last="$(grep -o 'recovery ([a-z]* shutdown)' "$data/tierfs.log" | tail -1)"
  [[ "$last" == "recovery (unclean shutdown)" ]] && pass "round $round: recovery ran" || fail "round $round: recovery" "this mount's recovery: ${last:-none}"
done
tierfs_unmount "$mnt"
summary
