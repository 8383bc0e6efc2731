#!/usr/bin/env bash
# Tiering under an emulated slow disk (issue 18): the ssd tier on one loop device, the hdd tier on
# another throttled to 200 IOPS with the cgroup v1 blkio controller, the daemon in a memory cgroup,
# 4 KiB O_DIRECT Zipf(1.2) reads over a data set 8x the hot tier. See benchmarks/README.md.
#
#   benchmarks/tiering.sh [--quick] [--hot SIZE] [--warmup S] [--measure S] [--runs "bare off on"]
#                         [--hdd-iops N] [--cache-allowance SIZE] [--off-memory same|minus-hot] [--keep-traces]
#
# Runs: bare (fio on the throttled hdd filesystem itself), off (tierfs, --migrate off), on (tierfs
# with migration, then one sequential scan of the data set, then the Zipf job again).
# Needs root, cgroup v1 blkio and memory controllers under /sys/fs/cgroup, loop devices. Everything
# it makes (images, loop devices, mounts, cgroups, daemons) is removed on exit, failure or Ctrl-C.
# Results: benchmarks/results/tiering-<timestamp>/{summary.json,tiering.svg,report.md,series.json}.
set -euo pipefail
# The whole script is one brace group: bash reads all of it before running any of it, so a checkout
# or an edit of this file during a run (the run takes minutes) cannot change what the run executes.
{

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
LIB="$HERE/lib/tiering.py"
JOBS="$HERE/fio/tiering"

QUICK=0 HOT="" WARMUP="" MEASURE="" RUNS="bare off on" HDD_IOPS=200 CACHE_ALLOW=32m
OFF_MEMORY=same KEEP_TRACES=0
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --hot) HOT="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --measure) MEASURE="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    --hdd-iops) HDD_IOPS="$2"; shift ;;
    --cache-allowance) CACHE_ALLOW="$2"; shift ;;
    --off-memory) OFF_MEMORY="$2"; shift ;;
    --keep-traces) KEEP_TRACES=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "tiering.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
die() { echo "tiering.sh: $*" >&2; exit 1; }
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

if [[ $QUICK -eq 1 ]]; then
  # a check of the whole pipeline in about 4 minutes, not a measurement
  HOT="${HOT:-32m}" WARMUP="${WARMUP:-60}" MEASURE="${MEASURE:-20}" BARE_WARM=5 MODE=quick
else
  # hot 128 MiB, ssd 512 MiB, data 1 GiB; the migration-on run is 240 s, measured over its last 60 s
  HOT="${HOT:-128m}" WARMUP="${WARMUP:-180}" MEASURE="${MEASURE:-60}" BARE_WARM=10 MODE=full
fi
# migration off warms up too (its page cache fills at the hdd's pace): it runs as long as migration on
OFF_WARM=$WARMUP
bytes() { # SIZE (k/m/g suffixes, powers of 1024) -> bytes
  local s="${1,,}"; s="${s%ib}"; s="${s%b}"
  case "$s" in
    *k) echo $(( ${s%k} << 10 )) ;; *m) echo $(( ${s%m} << 20 )) ;; *g) echo $(( ${s%g} << 30 )) ;;
    *[!0-9]*|"") die "not a size: '$1' (e.g. 128m, 1g)" ;; *) echo "$s" ;;
  esac
}
for v in WARMUP MEASURE HDD_IOPS; do
  [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -gt 0 ]] || die "--${v,,} must be a positive whole number, not '${!v}'"
done
[[ "$OFF_MEMORY" == same || "$OFF_MEMORY" == minus-hot ]] || die "--off-memory is 'same' or 'minus-hot'"
for r in $RUNS; do [[ " bare off on " == *" $r "* ]] || die "unknown run '$r' (known: bare off on)"; done
MiB=$((1 << 20))
HOT_B=$(bytes "$HOT")
(( HOT_B >= 8 * MiB && HOT_B % MiB == 0 )) || die "--hot must be a whole number of MiB, at least 8m"
SSD_B=$((4 * HOT_B)) DATA_B=$((8 * HOT_B))       # the issue: data set 8x the hot tier and 2x the ssd tier
HDD_CAP_B=$((DATA_B * 3 / 2))                    # room for the whole data set plus demotions in flight
SSD_IMG_B=$((SSD_B + 2 * HOT_B + 256 * MiB))     # ssd tier + the data folder (hot tier file, metadata, log)
HDD_IMG_B=$((HDD_CAP_B + 256 * MiB))
# The daemon's memory group: its limit is the daemon's own memory (anonymous and kernel: the JVM,
# RocksDB, the tracker), measured every second, plus HOLD_B, so that its page cache (the hot tier's
# mapped file, the tier files, the metadata files) never exceeds the hot tier plus a small
# allowance, however much of its heap the JVM happens to touch. A fixed limit sized for the JVM
# gives whatever the JVM leaves unused to the page cache, which then stands in for the tiers.
CACHE_B=$(bytes "$CACHE_ALLOW")
HOLD_B=$((HOT_B + CACHE_B))
OFF_HOLD_B=$HOLD_B
[[ $OFF_MEMORY == same ]] || OFF_HOLD_B=$CACHE_B
START_LIMIT_B=$((HOLD_B + 1024 * MiB))   # until the first sample sets the real limit (and for the fill)
export TIERFS_JAVA_OPTS="${TIERFS_JAVA_OPTS:--Xmx256m}"
want() { [[ " $RUNS " == *" $1 "* ]]; }

# ---------- what this needs from the machine ----------
[[ $EUID -eq 0 ]] || die "run as root (loop devices, mounts, cgroups and /dev/fuse need it)"
cg_path() { awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup | head -1; }
BLKIO_SELF="$(cg_path blkio)" MEM_SELF="$(cg_path memory)"
BLKIO_PARENT="/sys/fs/cgroup/blkio${BLKIO_SELF%/}" MEM_PARENT="/sys/fs/cgroup/memory${MEM_SELF%/}"
if [[ -z "$BLKIO_SELF" || ! -f "$BLKIO_PARENT/blkio.throttle.read_iops_device" ]]; then
  die "the cgroup v1 blkio controller is not mounted at /sys/fs/cgroup/blkio (this machine: $(awk '$3 ~ /^cgroup/ {printf "%s %s; ", $3, $2}' /proc/mounts)); tiering.sh throttles the hdd loop device with blkio.throttle.read_iops_device and needs it (a cgroup v2 host would need io.max instead, which this script does not do)"
fi
if [[ -z "$MEM_SELF" || ! -f "$MEM_PARENT/memory.limit_in_bytes" ]]; then
  die "the cgroup v1 memory controller is not mounted at /sys/fs/cgroup/memory; tiering.sh bounds the daemon's page cache with memory.limit_in_bytes and needs it"
fi
"$REPO/mount-scripts/install-deps.sh" --bench || die "could not install what the benchmark needs"
fio_v="$(fio --version)"   # fio-3.33: 3.31 is the first whose iolog (version 3) stamps every I/O
[[ "$fio_v" =~ ^fio-([0-9]+)\.([0-9]+) ]] && (( BASH_REMATCH[1] > 3 || (BASH_REMATCH[1] == 3 && BASH_REMATCH[2] >= 31) )) \
  || die "fio 3.31 or later is needed (its trace stamps every read); found '$fio_v'"
[[ -e /dev/loop-control ]] || modprobe loop 2>/dev/null || die "no loop devices (/dev/loop-control)"

# ---------- tierfs, exactly as built: a snapshot of the launcher, the jar and its libraries ----------
WORK="$(mktemp -d /tmp/tierfs-tiering.XXXXXX)"
chmod 755 "$WORK"
mkdir -p "$WORK/logs" "$WORK/runs" "$WORK/mnt"
STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="$REPO/benchmarks/results/tiering-$STAMP"
SNAP="$WORK/tierfs"
LOOPS=() FS_MOUNTED=() CGROUPS=() MNT="$WORK/mnt" DAEMON_PID="" SAMPLER_PID="" FIO_PID=""

is_mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts; }
wait_gone() { local i; for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
stop_sampler() {
  [[ -n "$SAMPLER_PID" ]] || return 0
  kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
}
stop_fio() { # a measured fio still running (we were interrupted): stop it by its pid
  [[ -n "$FIO_PID" ]] || return 0
  kill -TERM "$FIO_PID" 2>/dev/null || true
  wait_gone "$FIO_PID" 10 || kill -KILL "$FIO_PID" 2>/dev/null || true
  wait "$FIO_PID" 2>/dev/null || true
  FIO_PID=""
}
run_fio() { # DIR [in-cgroup] CMD...: runs CMD in DIR. Long fio runs go in the background and are
  # waited for, so that a signal reaches the script at once (bash runs traps only after a
  # foreground command ends)
  local cwd="$1"; shift
  if [[ "$1" == in-cgroup ]]; then
    shift; ( join_cgroups && cd "$cwd" && exec "$@" ) &
  else
    ( cd "$cwd" && exec "$@" ) &
  fi
  FIO_PID=$!
  local rc=0
  wait "$FIO_PID" || rc=$?
  FIO_PID=""
  return $rc
}
stop_tierfs() {
  if is_mounted "$MNT"; then
    "$SNAP/tierfs" unmount "$MNT" >>"$WORK/logs/unmount.log" 2>&1 || { sleep 2; "$SNAP/tierfs" unmount "$MNT" >>"$WORK/logs/unmount.log" 2>&1; } \
      || fusermount -uz "$MNT" 2>/dev/null || true
  fi
  if [[ -n "$DAEMON_PID" ]]; then
    if ! wait_gone "$DAEMON_PID" 30; then
      log "daemon $DAEMON_PID did not exit after its unmount; sending SIGTERM"
      kill -TERM "$DAEMON_PID" 2>/dev/null || true
      wait_gone "$DAEMON_PID" 10 || kill -KILL "$DAEMON_PID" 2>/dev/null || true
    fi
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
  fi
}
umount_fs() { # MOUNTPOINT
  local i
  for ((i = 0; i < 5; i++)); do
    is_mounted "$1" || return 0
    umount "$1" 2>/dev/null && return 0
    sleep 1
  done
  log "WARNING: could not unmount $1 ($(umount "$1" 2>&1)); detaching it lazily"
  umount -l "$1" 2>/dev/null
  return 1
}
remove_cgroup() { # DIR: move whatever is left in it to its parent, then remove it
  local d="$1" p
  [[ -d "$d" ]] || return 0
  for p in $(cat "$d/cgroup.procs" 2>/dev/null); do echo "$p" > "$(dirname "$d")/cgroup.procs" 2>/dev/null || true; done
  rmdir "$d" 2>/dev/null || { sleep 1; rmdir "$d" 2>/dev/null; } || log "WARNING: could not remove cgroup $d"
}
teardown() {
  set +e
  stop_fio
  stop_sampler
  stop_tierfs
  local i
  for ((i = ${#FS_MOUNTED[@]} - 1; i >= 0; i--)); do umount_fs "${FS_MOUNTED[i]}"; done
  FS_MOUNTED=()
  # (a device still busy after a lazy unmount is detached by the kernel once released: autoclear)
  for dev in "${LOOPS[@]}"; do losetup -d "$dev" 2>/dev/null || log "WARNING: could not detach $dev"; done
  LOOPS=()
  for ((i = ${#CGROUPS[@]} - 1; i >= 0; i--)); do remove_cgroup "${CGROUPS[i]}"; done
  CGROUPS=()
  set -e
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  [[ ! -f "${DATA:-/nonexistent}/tierfs.log" ]] || cp "$DATA/tierfs.log" "$WORK/logs/tierfs-last.log" 2>/dev/null || true
  teardown
  if [[ $rc -ne 0 && -n "$WORK" && -n "$(ls -A "$WORK/logs" 2>/dev/null)" ]]; then
    mkdir -p "$OUT-failed" && cp -r "$WORK/logs" "$OUT-failed/" && log "the logs of this failed run: $OUT-failed/logs"
  fi
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if awk -v w="$WORK" 'index($2, w "/") == 1 { found = 1 } END { exit !found }' /proc/mounts; then
      log "WARNING: something is still mounted under $WORK; leaving it in place"
    elif losetup -a | grep -q "$WORK/"; then
      log "WARNING: a loop device still uses an image under $WORK; leaving it in place: $(losetup -a | grep "$WORK")"
    else
      rm -rf "$WORK"
    fi
  fi
  [[ -z "${OUT:-}" || -f "$OUT/summary.json" ]] || rm -rf "$OUT"
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if want off || want on; then
  JAR="$REPO/target/tierfs.jar"
  jar_ok() {
    [[ -f "$JAR" && -d "$REPO/target/lib" ]] || return 1
    (( $(date +%s) - $(stat -c %Y "$JAR") >= 5 )) || return 1
    python3 -c 'import sys, zipfile; sys.exit(0 if zipfile.ZipFile(sys.argv[1]).testzip() is None else 1)' "$JAR" 2>/dev/null
  }
  built=0
  if [[ ! -f "$JAR" ]]; then
    log "building $JAR (mvn -q -B -Dmaven.test.skip=true package)"
    (cd "$REPO" && mvn -q -B -Dmaven.test.skip=true package) || die "the build failed"
    built=1
  fi
  waited=0
  until ((built)) || jar_ok; do
    (( waited % 15 == 0 )) && log "waiting for a complete $JAR (missing or being built)"
    (( waited < 300 )) || die "no usable $JAR after 5 minutes"
    sleep 1; waited=$((waited + 1))
  done
  mkdir -p "$SNAP/target"
  cp "$REPO/tierfs" "$SNAP/tierfs"
  cp "$JAR" "$SNAP/target/tierfs.jar"
  cp -r "$REPO/target/lib" "$SNAP/target/lib"
  [[ ! -d "$REPO/target/native" ]] || cp -r "$REPO/target/native" "$SNAP/target/native"
  JAR_INFO="sha256 $(sha256sum < "$SNAP/target/tierfs.jar" | cut -c1-12), built $(date -r "$JAR" '+%Y-%m-%d %H:%M:%S')"
  # the tiering options this benchmark drives; a tierfs without them fails here, not halfway
  help="$("$SNAP/tierfs" mount --help 2>&1 || true)"
  TIERING_ARGS=(--hot-capacity "$HOT_B")
  if [[ "${TIERING_LEGACY:-0}" == 1 ]]; then
    # only for testing this script against a tierfs without the tiering: no hot tier, no migrator,
    # no read counters (hot_share comes out null); the figures mean nothing
    log "TIERING_LEGACY=1: mounting without --hot-capacity and --migrate (this tests the script, not tierfs)"
    TIERING_ARGS=()
  else
    for opt in --hot-capacity --migrate; do
      grep -q -- "$opt" <<<"$help" || die "this tierfs ($JAR) has no '$opt' option: the tiering (hot tier, tracker, migrator) is not in this build. Build one that has it, or run only the emulation and the bare hdd run: benchmarks/tiering.sh --runs bare"
    done
  fi
fi
GIT_INFO="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"

# ---------- the two disks: loop devices on image files, O_DIRECT underneath ----------
# --direct-io=on: the loop device reads and writes its image with O_DIRECT, so the host's page cache
# of the image file cannot answer for the device; the only caches are those charged to the daemon.
DEV=""
attach() { # IMAGE BYTES: sets DEV to the new loop device (not in a subshell: LOOPS must know it)
  truncate -s "$2" "$1"
  DEV="$(losetup -f --show --direct-io=on "$1")" || die "losetup failed on $1"
  LOOPS+=("$DEV")
  [[ "$(cat "/sys/block/${DEV#/dev/}/loop/dio" 2>/dev/null)" == 1 ]] \
    || log "note: $DEV does not use direct I/O on its image (the host page cache sits under it)"
}
attach "$WORK/ssd.img" "$SSD_IMG_B"; SSD_DEV="$DEV"
attach "$WORK/hdd.img" "$HDD_IMG_B"; HDD_DEV="$DEV"
majmin() { printf '%d:%d' "$(stat -c '0x%t' "$1")" "$(stat -c '0x%T' "$1")"; }
SSD_MM="$(majmin "$SSD_DEV")" HDD_MM="$(majmin "$HDD_DEV")"
log "ssd tier: $SSD_DEV ($SSD_MM, image $(numfmt --to=iec "$SSD_IMG_B")); hdd tier: $HDD_DEV ($HDD_MM, image $(numfmt --to=iec "$HDD_IMG_B"))"

# ---------- cgroups: one blkio group with the hdd throttle, one memory group per run ----------
BLKIO_CG="$BLKIO_PARENT/tierfs-tiering-$$"
mkdir "$BLKIO_CG"; CGROUPS+=("$BLKIO_CG")
echo "$HDD_MM $HDD_IOPS" > "$BLKIO_CG/blkio.throttle.read_iops_device"
echo "$HDD_MM $HDD_IOPS" > "$BLKIO_CG/blkio.throttle.write_iops_device"
MEMCG=""
new_memcg() { # NAME LIMIT_BYTES -> sets MEMCG
  MEMCG="$MEM_PARENT/tierfs-tiering-$$-$1"
  mkdir "$MEMCG"; CGROUPS+=("$MEMCG")
  echo "$2" > "$MEMCG/memory.limit_in_bytes"
  echo 0 > "$MEMCG/memory.swappiness" 2>/dev/null || true
}
drop_memcg() { # the run's group, once nothing runs in it
  local i
  remove_cgroup "$MEMCG"
  for i in "${!CGROUPS[@]}"; do [[ "${CGROUPS[i]}" != "$MEMCG" ]] || unset 'CGROUPS[i]'; done
  CGROUPS=("${CGROUPS[@]}")
  MEMCG=""
}
join_cgroups() { # in a subshell about to exec: join the blkio group and $MEMCG
  echo "$BASHPID" > "$BLKIO_CG/cgroup.procs" && echo "$BASHPID" > "$MEMCG/cgroup.procs" \
    || { echo "tiering.sh: could not join the cgroups $BLKIO_CG and $MEMCG" >&2; exit 97; }
}
in_cgroups() { # CMD...: runs CMD (in the foreground) inside the blkio group and $MEMCG
  ( join_cgroups && exec "$@" )
}

# ---------- the emulation, checked on the raw devices before any filesystem is made ----------
fio_check() { # NAME FILE [in-cgroup]: 4 KiB O_DIRECT random reads for 4 s over the first 256 MiB
  local out="$WORK/logs/check-$1.json"
  local cmd=(fio --name="$1" --filename="$2" --size=256m --rw=randread --bs=4k --direct=1 --ioengine=psync
             --time_based --runtime=4 --readonly --output-format=json --output="$out")
  if [[ "${3:-}" == in-cgroup ]]; then in_cgroups "${cmd[@]}" >/dev/null; else "${cmd[@]}" >/dev/null; fi
  python3 "$LIB" fio-iops "$out"
}
log "checking the emulation (4 s each)"
for dev in "$SSD_DEV" "$HDD_DEV"; do   # real data where the checks read: an image's holes cost no I/O
  FILE="$dev" SIZE=256m fio --output="$WORK/logs/prefill-${dev#/dev/}.txt" "$JOBS/fill.fio" >/dev/null
done
new_memcg check $((256 * MiB))
# the ssd loop device and the disk under it, twice each, interleaved; the better of each (others'
# work on this shared machine only ever slows a run down)
EMU_SSD=0 EMU_NATIVE=0
for i in 1 2; do
  v=$(fio_check ssd-loop-$i "$SSD_DEV"); (( v > EMU_SSD )) && EMU_SSD=$v
  v=$(fio_check ssd-image-direct-$i "$WORK/ssd.img"); (( v > EMU_NATIVE )) && EMU_NATIVE=$v
done
EMU_HDD=$(fio_check hdd-loop-throttled "$HDD_DEV" in-cgroup)
EMU_HDD_FREE=$(fio_check hdd-loop-unthrottled "$HDD_DEV")
drop_memcg
log "emulation: ssd loop device $EMU_SSD IOPS, its image file read directly (the real disk) $EMU_NATIVE IOPS;" \
    "hdd loop device $EMU_HDD IOPS in the blkio group (limit $HDD_IOPS), $EMU_HDD_FREE IOPS outside it"
python3 - "$EMU_HDD" "$HDD_IOPS" "$EMU_SSD" "$EMU_NATIVE" <<'EOF' || die "the emulated hdd does not hold its limit; nothing here would mean anything"
import sys
hdd, limit, ssd, native = map(float, sys.argv[1:])
if not 0.8 * limit <= hdd <= 1.1 * limit:
    print("tiering.sh: the throttled hdd ran at %.0f IOPS, not near %.0f" % (hdd, limit), file=sys.stderr)
    sys.exit(1)
if ssd < 0.7 * native:
    print("tiering.sh: warning: the ssd loop device runs at %.2fx of the disk under it" % (ssd / native))
EOF

write_env() { # FILE KEY=VALUE...
  local f="$1"; shift
  local kv
  for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"; done >> "$f"
}
write_env "$WORK/config.env" mode="$MODE" when="$STAMP" runs="$RUNS" \
  hot_bytes="$HOT_B" ssd_bytes="$SSD_B" data_bytes="$DATA_B" hdd_capacity_bytes="$HDD_CAP_B" block_size=131072 \
  ssd_image_bytes="$SSD_IMG_B" hdd_image_bytes="$HDD_IMG_B" hdd_iops="$HDD_IOPS" \
  hold_cache_bytes="$HOLD_B" off_hold_cache_bytes="$OFF_HOLD_B" cache_allowance_bytes="$CACHE_B" \
  mem_rule="limit = the daemon's own memory (usage - cache, measured each second) + hot $(numfmt --to=iec "$HOT_B") + page cache $(numfmt --to=iec "$CACHE_B")$([[ $OFF_MEMORY == same ]] || echo "; migration off: own + page cache $(numfmt --to=iec "$CACHE_B") (--off-memory minus-hot)")" \
  tierfs_java_opts="$TIERFS_JAVA_OPTS" warmup_s="$WARMUP" measure_s="$MEASURE" \
  emu_ssd_loop_iops="$EMU_SSD" emu_ssd_native_iops="$EMU_NATIVE" emu_hdd_throttled_iops="$EMU_HDD" \
  emu_hdd_unthrottled_iops="$EMU_HDD_FREE" tierfs_commit="$GIT_INFO" tierfs_jar="${JAR_INFO:-n/a}" \
  machine="$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)" \
  kernel="$(uname -r)" fio="$(fio --version)"

# ---------- filesystems ----------
SSD_FS="$WORK/ssd" HDD_FS="$WORK/hdd"
mkdir -p "$SSD_FS" "$HDD_FS"
make_fs() { # DEV MOUNTPOINT: a fresh ext4 (no lazy init: nothing writes in the background later)
  umount_fs "$2"
  mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 "$1" >/dev/null
  mount "$1" "$2"
  FS_MOUNTED+=("$2")
}
remount_fs() { # MOUNTPOINT: unmounting drops every cached page of the filesystem
  local dev
  dev="$(awk -v m="$1" '$2 == m { print $1 }' /proc/mounts)"
  umount_fs "$1" || die "could not unmount $1 to drop its cache"
  mount "$dev" "$1"
}

# ---------- one measured Zipf run ----------
SAMPLER_ARGS=()
start_sampler() { # DIR: samples every second while a run lasts (and holds the daemon's page cache)
  python3 "$LIB" sample "${SAMPLER_ARGS[@]}" --memcg "$MEMCG" --dev "ssd=$SSD_MM" --dev "hdd=$HDD_MM" \
    --out "$1/samples.jsonl" &
  SAMPLER_PID=$!
}
# fio seeds its Zipf generator with a hash of the file's name as given: every Zipf run names the
# file "zipf.dat" from inside its directory, so every run, and every run of this script, draws the
# same sequence of offsets and therefore the same hot set (checked: identical offsets from two
# directories; with full paths, the bare run's hot set overlapped the others' by 12%)
run_zipf() { # RUN DIR RUNTIME WARM [in-cgroup]
  local run="$1" cwd="$2" runtime="$3" warm="$4" dir="$WORK/runs/$1"
  mkdir -p "$dir"
  start_sampler "$dir"
  sleep 1.5   # a sample before fio starts
  local t0 rc=0
  t0=$(date +%s%3N)
  local cmd=(env FILE=zipf.dat SIZE="$DATA_B" RUNTIME="$runtime" TRACE="$dir/trace.log" IOPSLOG="$dir/iops"
             fio --output-format=json --output="$dir/fio.json" "$JOBS/zipf.fio")
  run_fio "$cwd" ${5:-} "${cmd[@]}" 2>"$dir/fio.err" || rc=$?
  local t1
  t1=$(date +%s%3N)
  sleep 1.5   # a sample after fio ends
  stop_sampler
  if [[ $rc -ne 0 ]]; then
    if [[ -n "$DAEMON_PID" ]] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      log "the daemon ($DAEMON_PID) is gone; the end of its log: $(tail -3 "$DATA/tierfs.log" 2>/dev/null; tail -2 "$WORK/logs/daemon-$run.log")"
    fi
    [[ -z "$MEMCG" ]] || log "its memory group: $(tr '\n' ' ' < "$MEMCG/memory.oom_control" 2>/dev/null)"
    die "fio failed in the $run run (rc $rc): $(tail -3 "$dir/fio.err")"
  fi
  write_env "$dir/meta.env" kind=zipf t0_ms="$t0" t_end_ms="$t1" runtime_s="$runtime" warm_s="$warm"
  log "$run: $(python3 "$LIB" fio-iops "$dir/fio.json") IOPS over the whole ${runtime} s run"
}

# ---------- tierfs ----------
DATA="$SSD_FS/data"
start_tierfs() { # RUN [--migrate off]
  local run="$1"; shift
  local args=(mount --foreground --data "$DATA" --ssd "$SSD_FS/tier" --hdd "$HDD_FS/tier"
              --ssd-capacity "$SSD_B" --hdd-capacity "$HDD_CAP_B" "${TIERING_ARGS[@]}" "$@" "$MNT")
  echo "tierfs ${args[*]}" >> "$WORK/logs/daemon-$run.log"
  # the daemon joins the cgroups before it starts, so every page it reads is charged to its group;
  # $! is the daemon's pid (the subshell execs the launcher, which execs java)
  ( join_cgroups && exec "$SNAP/tierfs" "${args[@]}" ) >> "$WORK/logs/daemon-$run.log" 2>&1 &
  DAEMON_PID=$!
  local i
  for ((i = 0; i < 600; i++)); do
    if is_mounted "$MNT" && stat "$MNT/." >/dev/null 2>&1; then break; fi
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=""
      die "tierfs did not mount ($run): $(tail -3 "$WORK/logs/daemon-$run.log"; tail -5 "$DATA/tierfs.log" 2>/dev/null)"
    fi
    sleep 0.1
  done
  is_mounted "$MNT" || die "tierfs did not come up within 60 s ($run): $(tail -5 "$WORK/logs/daemon-$run.log")"
  grep -qx "$DAEMON_PID" "$MEMCG/cgroup.procs" && grep -qx "$DAEMON_PID" "$BLKIO_CG/cgroup.procs" \
    || die "the daemon ($DAEMON_PID) is not in the benchmark's cgroups"
  local jpid
  # the mount shows before the daemon has started tiering and written its daemon.json
  for ((i = 0; i < 300; i++)); do
    jpid="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$DATA/daemon.json" 2>/dev/null || echo "?")"
    [[ "$jpid" == "$DAEMON_PID" ]] && break
    sleep 0.1
  done
  [[ "$jpid" == "$DAEMON_PID" ]] || die "daemon.json names pid $jpid, but the daemon started here is $DAEMON_PID"
}
check_counters() { # RUN: the fields of tierfs status --json this benchmark reads
  local st="$WORK/logs/status-$1.json" why
  "$SNAP/tierfs" status --json "$MNT" > "$st" 2>>"$WORK/logs/daemon-$1.log" || die "tierfs status --json $MNT failed"
  SAMPLER_ARGS=(--state "$DATA/daemon.json")
  local bsz
  bsz="$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["blockSize"]))' "$st" 2>/dev/null || true)"
  [[ -z "$bsz" ]] || write_env "$WORK/config.env" block_size="$bsz"   # the volume's, as the daemon reports it
  if ! why="$(python3 "$LIB" check-status "$st")"; then
    [[ "${TIERING_LEGACY:-0}" == 1 ]] || die "tierfs status --json lacks what the benchmark reads: $why (it needs tiers hot, ssd and hdd, each with capacityBytes, usedBytes and reads)"
    log "TIERING_LEGACY=1: status lacks counters ($why); hot_share will be null"
  elif ! python3 "$LIB" check-status "$DATA/daemon.json" >/dev/null; then
    # the counters are in status but not in the state file the sampler reads cheaply: ask status
    SAMPLER_ARGS=(--status-cmd "$(printf '%q status --json %q' "$SNAP/tierfs" "$MNT")" --interval 2)
    log "the daemon's state file lacks the read counters; sampling with tierfs status --json every 2 s (a JVM each time)"
  fi
}
placement() { python3 "$LIB" placement "$MNT/zipf.dat"; }

tierfs_run() { # RUN (off|on)
  local run="$1" migrate=() hold="$HOLD_B"
  if [[ $run == off ]]; then migrate=(--migrate off); hold="$OFF_HOLD_B"; fi
  [[ "${TIERING_LEGACY:-0}" != 1 ]] || migrate=()
  log "== tierfs, migration $run: fresh tier filesystems, fill $(numfmt --to=iec "$DATA_B")"
  stop_tierfs
  make_fs "$SSD_DEV" "$SSD_FS"; make_fs "$HDD_DEV" "$HDD_FS"
  mkdir -p "$DATA" "$SSD_FS/tier" "$HDD_FS/tier"
  new_memcg "$run-fill" "$START_LIMIT_B"
  start_tierfs "$run" "${migrate[@]}"
  check_counters "$run"
  local t=$SECONDS
  FILE="$MNT/zipf.dat" SIZE="$DATA_B" fio --output="$WORK/logs/fill-$run.txt" "$JOBS/fill.fio" >/dev/null \
    || die "the fill through tierfs failed: $(tail -3 "$WORK/logs/fill-$run.txt")"
  log "filled in $((SECONDS - t)) s; blocks per tier: $(placement)"
  # a clean start for the measurement: the daemon, the tier filesystems' caches and the memory group
  stop_tierfs
  drop_memcg
  remount_fs "$SSD_FS"; remount_fs "$HDD_FS"
  new_memcg "$run" "$START_LIMIT_B"
  start_tierfs "$run" "${migrate[@]}"
  SAMPLER_ARGS+=(--hold-cache "$hold")
  log "mounted again (daemon $DAEMON_PID; memory limit: its own memory + $(numfmt --to=iec "$hold") of page cache); blocks per tier: $(placement)"
  if [[ $run == off ]]; then
    run_zipf off "$MNT" $((OFF_WARM + MEASURE)) "$OFF_WARM"
  else
    run_zipf on "$MNT" $((WARMUP + MEASURE)) "$WARMUP"
    log "after warm-up, blocks per tier: $(placement)"
    "$SNAP/tierfs" status --json "$MNT" > "$WORK/logs/status-on-end.json" 2>/dev/null || true
    log "migrator after warm-up: $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["migration"]; print(m)' \
      "$WORK/logs/status-on-end.json" 2>/dev/null)"
    local dir="$WORK/runs/scan" t0 t1
    mkdir -p "$dir"
    start_sampler "$dir"
    sleep 1.5
    t0=$(date +%s%3N)
    run_fio "$MNT" env FILE=zipf.dat SIZE="$DATA_B" fio --output-format=json --output="$dir/fio.json" "$JOBS/scan.fio" \
      || die "the scan failed: $(grep -v '^{' "$dir/fio.json" 2>/dev/null | tail -3)"
    t1=$(date +%s%3N)
    sleep 1.5
    stop_sampler
    write_env "$dir/meta.env" kind=scan t0_ms="$t0" t_end_ms="$t1"
    log "scan: $(numfmt --to=iec "$DATA_B") in $(( (t1 - t0) / 1000 )) s; blocks per tier: $(placement)"
    run_zipf after "$MNT" "$MEASURE" 0
  fi
  log "blocks per tier at the end: $(placement)"
  cp "$DATA/tierfs.log" "$WORK/logs/tierfs-$run.log" 2>/dev/null || true
  stop_tierfs
  drop_memcg
}

est=30
! want bare || est=$((est + BARE_WARM + MEASURE + 15))
! want off || est=$((est + OFF_WARM + MEASURE + 60))
! want on || est=$((est + WARMUP + 2 * MEASURE + 120))
log "$MODE run ($RUNS): hot $(numfmt --to=iec "$HOT_B"), ssd $(numfmt --to=iec "$SSD_B"), data set $(numfmt --to=iec "$DATA_B")," \
    "hdd $HDD_IOPS IOPS; daemon memory limit = its own memory + hot $(numfmt --to=iec "$HOT_B") + page cache $(numfmt --to=iec "$CACHE_B")" \
    "(migration off: + $(numfmt --to=iec "$OFF_HOLD_B") of page cache), TIERFS_JAVA_OPTS=$TIERFS_JAVA_OPTS; about $((est / 60)) min"

if want bare; then
  log "== bare hdd filesystem: fill $(numfmt --to=iec "$DATA_B") (unthrottled), then fio in the blkio group"
  make_fs "$HDD_DEV" "$HDD_FS"
  FILE="$HDD_FS/zipf.dat" SIZE="$DATA_B" fio --output="$WORK/logs/fill-bare.txt" "$JOBS/fill.fio" >/dev/null
  remount_fs "$HDD_FS"
  new_memcg bare $((256 * MiB))   # fio alone, O_DIRECT: nothing to cache
  SAMPLER_ARGS=()
  run_zipf bare "$HDD_FS" $((BARE_WARM + MEASURE)) "$BARE_WARM" in-cgroup
  drop_memcg
  umount_fs "$HDD_FS"
fi
want off && tierfs_run off
want on && tierfs_run on

# nothing of ours stays mounted or attached while the report is made
teardown
mkdir -p "$OUT"
python3 "$LIB" report "$WORK" "$OUT"
mkdir -p "$OUT/logs"
cp "$WORK"/logs/*.log "$WORK"/logs/*.json "$OUT/logs/" 2>/dev/null || true
if [[ $KEEP_TRACES -eq 1 ]]; then
  for d in "$WORK"/runs/*; do cp -r "$d" "$OUT/run-$(basename "$d")"; done
fi
echo
log "results: $OUT/summary.json, $OUT/tiering.svg, $OUT/report.md"
exit 0
}
