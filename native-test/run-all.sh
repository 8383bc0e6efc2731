#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with the JUnit tests, then drives real
# mounts with real programs. Prints one "N passed, N failed" line at the end; non-zero on failure.
#   native-test/run-all.sh [--quick]     (--quick: one kill -9 round, fewer power-loss trials)
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
quick=0; [[ "${1:-}" == "--quick" ]] && quick=1

mount-scripts/install-deps.sh --test || exit 1
echo "== build and unit tests (mvn package)"
# (Maven 3.8 prints colour resets even in batch mode: strip them so every summary line stands alone.)
rm -rf target/surefire-reports  # count this build's tests, not an earlier one's
mvn -q -B package 2>&1 | sed 's/\x1b\[[0-9;]*m//g' || { echo "0 passed, 1 failed"; exit 1; }
# Surefire is quiet with -q: count the JUnit tests from its reports.
read -r unit_tests unit_failed < <(cat target/surefire-reports/TEST-*.xml | python3 -c '
import re, sys
x = sys.stdin.read()
n = lambda a: sum(int(v) for v in re.findall(r"<testsuite[^>]*? " + a + r"=\"(\d+)\"", x))
print(n("tests") - n("skipped"), n("failures") + n("errors"))')
echo "unit tests: $((unit_tests - unit_failed)) passed, $unit_failed failed"

total_pass=$((unit_tests - unit_failed)) total_fail=$unit_failed
run_suite() { # NAME COMMAND...: runs a suite that ends with "N passed, N failed"
  local name="$1"; shift
  echo "== $name"
  local log out started=$SECONDS
  log="$(mktemp)"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  out="$(tail -1 "$log")"; rm -f "$log"
  echo "($name: $((SECONDS - started)) s)"   # .ci/run must stay under 15 minutes
  if [[ "$out" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    total_pass=$((total_pass + BASH_REMATCH[1])); total_fail=$((total_fail + BASH_REMATCH[2]))
    # a suite that checked nothing, or exited non-zero with no failure counted, has failed
    if ((BASH_REMATCH[1] + BASH_REMATCH[2] == 0)) || { ((rc != 0)) && ((BASH_REMATCH[2] == 0)); }; then
      echo "suite $name: exit status $rc after '$out'" >&2; total_fail=$((total_fail + 1))
    fi
  else
    echo "suite $name ended without a summary line" >&2; total_fail=$((total_fail + 1))
  fi
}

# Every suite makes its mounts, data and daemons under this run's own folder (mktemp -t), so the
# check for leftovers below sees only what this run made, never a volume the host serves beside it.
TMPDIR="$(mktemp -d /tmp/tierfs-suite.XXXXXX)"; export TMPDIR
chmod 755 "$TMPDIR"   # the permission tests reach their mountpoints as other uids
# A bystander: a volume the suite did not make, mounted beside it as a user's would be. Every
# suite must leave it alone; at the end it must still be mounted, with its file intact.
bystander="$(mktemp -d /tmp/tierfs-bystander.XXXXXX)"
trap './tierfs unmount "$bystander/mnt" >/dev/null 2>&1; rm -rf "$bystander"' EXIT
mkdir "$bystander/mnt"
./tierfs mount --data "$bystander/data" "$bystander/mnt" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
head -c 1000000 /dev/urandom | tee "$bystander/mnt/file" | md5sum > "$bystander/sum"
if [[ $quick -eq 1 ]]; then export KILL9_ROUNDS=1 POWERLOSS_TRIALS=3; fi
run_suite "bad input" native-test/bad-input.sh
run_suite "daemon" native-test/daemon.sh
run_suite "posix" native-test/posix-on-tierfs.sh
run_suite "limits" native-test/limits.sh
run_suite "remount" native-test/remount.sh
run_suite "tier filesystems" native-test/tier-filesystems.sh
run_suite "tiering" native-test/tiering.sh
run_suite "integrity" native-test/integrity.sh
run_suite "compression" native-test/compression.sh
run_suite "kill -9" native-test/kill9.sh
run_suite "container" native-test/container-on-tierfs.sh
run_suite "service" native-test/service.sh
run_suite "volume plugin" native-test/volume-plugin.sh
run_suite "metrics" native-test/metrics.sh
run_suite "policy" native-test/policy.sh
run_suite "writeback cache" native-test/writeback.sh
run_suite "small files" native-test/smallfiles.sh
run_suite "lossyfs self-test" native-test/lossyfs/selftest.sh
run_suite "power loss" native-test/powerloss.sh
run_suite "sqlite crash" native-test/sqlite-crash.sh
run_suite "benchmarks build" native-test/benchmarks-build.sh

# What this run left behind (a suite that failed to clean up): mounts under its folder, deepest
# first, and processes started with its folder in their command line; both reported and removed.
leftover="$(awk -v root="$TMPDIR/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r)"
if [[ -n "$leftover" ]]; then
  echo "mounts left behind: $(echo $leftover)" >&2; total_fail=$((total_fail + 1))
  while read -r m; do fusermount -uz "$m" 2>/dev/null || umount -l "$m"; done <<< "$leftover"
fi
strays=""
for pid in $(grep -lsF "$TMPDIR/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
  # checked again: the grep above matched its own command line, and has exited since
  [[ $pid != "$$" ]] && grep -qsF "$TMPDIR/" "/proc/$pid/cmdline" && strays+=" $pid"
done
if [[ -n "$strays" ]]; then
  echo "processes left behind: $(echo $strays)" >&2; total_fail=$((total_fail + 1))
  kill -9 $strays 2>/dev/null
fi
rm -rf "$TMPDIR"
echo 3 > /proc/sys/vm/drop_caches  # read the bystander from its tiers, not the page cache
if md5sum < "$bystander/mnt/file" | cmp -s - "$bystander/sum" && ./tierfs unmount "$bystander/mnt" >/dev/null; then
  total_pass=$((total_pass + 1))
else
  echo "the bystander volume at $bystander/mnt was disturbed by the suite" >&2; total_fail=$((total_fail + 1))
fi
echo "(the whole suite: $SECONDS s)"
echo "tierfs: $total_pass passed, $total_fail failed"
[[ $total_fail -eq 0 ]]
