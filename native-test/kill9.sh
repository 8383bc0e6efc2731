#!/usr/bin/env bash
# kill -9 test: the daemon is killed while a writer fsyncs files and overwrites records in place.
# `tierfs unmount` must clear the dead mount, `tierfs mount` must recover, and everything the
# filesystem acknowledged must be there, with no torn or garbage record. Several rounds, at random moments.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d /tmp/tierfs-kill9.XXXXXX)"
writer=
trap '[[ -n "$writer" ]] && kill -9 "$writer" 2>/dev/null; cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data" log="$work/acked.log"
rounds="${KILL9_ROUNDS:-3}"

tierfs_mount "$mnt" "$data" || { summary; exit 1; }
mkdir "$mnt/w"
for round in $(seq 1 "$rounds"); do
  python3 "$REPO/native-test/crashwriter.py" write "$mnt/w" "$log" "r$round" & writer=$!
  sleep "$(python3 -c 'import random; print(round(random.uniform(1.5, 4), 2))')"
  pid="$(daemon_pid "$data")"
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  wait "$writer" 2>/dev/null; writer=
  out="$("$TIERFS" unmount "$mnt" 2>&1)"
  if [[ "$out" == *"cleared stale mount"* ]]; then pass "round $round: unmount clears the dead mount"; else fail "round $round: unmount of dead mount" "$out"; fi
  if ! tierfs_mount "$mnt" "$data"; then fail "round $round: mount after kill -9" "mount failed"; break; fi
  pass "round $round: mount after kill -9 recovers"
  # a writer that never got a write acknowledged would leave nothing to check: that fails too
  if res="$(python3 "$REPO/native-test/crashwriter.py" check "$mnt/w" "$log")" \
     && [[ "$res" =~ checked\ [1-9][0-9]*\ acknowledged ]]; then
    pass "round $round: ${res##*$'\n'}"
  else
    fail "round $round: acknowledged data" "$(echo "$res" | tr '\n' ' ')"
  fi
  if find "$mnt" -type f -exec cat {} + >/dev/null 2>"$work/err"; then pass "round $round: every file reads back"; else fail "round $round: reads" "$(head -3 "$work/err")"; fi
  last="$(grep -o 'recovery ([a-z]* shutdown)' "$data/tierfs.log" | tail -1)"
  [[ "$last" == "recovery (unclean shutdown)" ]] && pass "round $round: recovery ran" || fail "round $round: recovery" "this mount's recovery: ${last:-none}"
done
tierfs_unmount "$mnt"
summary
