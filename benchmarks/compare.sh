#!/usr/bin/env bash
# tierfs side by side with a C libfuse2 passthrough, mergerfs and the bare backing directory:
# the same fio jobs, the same machine, the same run, interleaved. See benchmarks/README.md.
#
#   benchmarks/compare.sh [--quick] [--reps N] [--runtime S] [--ramp S] [--size SIZE]
#                         [--jobs "JOB:DIRECT ..."]
#                         [--targets "tierfs passthrough passthrough-direct mergerfs mergerfs-direct backing"]
#                         [--tierfs-opts "MOUNT OPTIONS"] [--smallfiles [--files N] [--tree-files N]]
#
# --smallfiles runs the small-file benchmark (benchmarks/lib/smallfiles.py) instead of the fio
# jobs: create, stat, chmod, rename and unlink rates, then unpacking a seeded tree and `sync`.
# Needs root (mounting: /dev/fuse is 0600 here); installs what is missing (fio, mergerfs, gcc,
# libfuse-dev) and builds target/tierfs.jar if there is none. Everything it mounts lives in a fresh
# directory under /tmp and is unmounted and removed on exit, failure or Ctrl-C.
# Results: benchmarks/results/<timestamp>/{results.json,results.md,chart.svg}.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"

ALL_JOBS=""
for j in randread-4k randwrite-4k randread-4k-4jobs seqread-1m seqwrite-1m randrw-70-30 write-fdatasync-4k \
    randread-zipf-4k randread-1k randwrite-1k; do
  ALL_JOBS+="$j:0 $j:1 "
done
# --quick: six of the sixteen configurations, 1 s runs on 32 MiB files, under two minutes in all:
# small reads and writes through FUSE (O_DIRECT), small writes through the page cache, streaming
# both ways, and the fdatasync commit.
QUICK_JOBS="randread-4k:1 randwrite-4k:0 randwrite-4k:1 seqread-1m:1 seqwrite-1m:1 write-fdatasync-4k:0"

QUICK=0 REPS="" RUNTIME="" RAMP="" SIZE="" JOBS="" TARGETS="" TIERFS_OPTS="" SMALL=0 FILES="" TREE_FILES=""
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --reps) REPS="$2"; shift ;;
    --runtime) RUNTIME="$2"; shift ;;
    --ramp) RAMP="$2"; shift ;;
    --size) SIZE="$2"; shift ;;
    --jobs) JOBS="$2"; shift ;;
    --targets) TARGETS="$2"; shift ;;
    --tierfs-opts) TIERFS_OPTS="$2"; shift ;;  # extra `tierfs mount` options, e.g. "--hot-capacity 0" for an A/B
    --smallfiles) SMALL=1 ;;
    --files) FILES="$2"; shift ;;
    --tree-files) TREE_FILES="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [[ $SMALL -eq 1 ]]; then
  # the targets issue 25 names: ext4 and the passthrough in both settings
  TARGETS="${TARGETS:-tierfs passthrough passthrough-direct backing}"
  if [[ $QUICK -eq 1 ]]; then FILES="${FILES:-1000}" TREE_FILES="${TREE_FILES:-1000}" REPS="${REPS:-3}"
  else FILES="${FILES:-5000}" TREE_FILES="${TREE_FILES:-4000}" REPS="${REPS:-5}"; fi
  MODE="smallfiles"
elif [[ $QUICK -eq 1 ]]; then
  # mergerfs-direct and passthrough-direct only in full runs: four targets keep the quick mode
  # under two minutes
  TARGETS="${TARGETS:-tierfs passthrough mergerfs backing}"
  REPS="${REPS:-3}" RUNTIME="${RUNTIME:-1}" RAMP="${RAMP:-0}" SIZE="${SIZE:-32m}" JOBS="${JOBS:-$QUICK_JOBS}" MODE="quick"
else
  TARGETS="${TARGETS:-tierfs passthrough passthrough-direct mergerfs mergerfs-direct backing}"
  # five repetitions: as many as the targets, so the rotation runs each target once in each
  # position (the run right after a job's refill included); medians of five hold still where
  # page placement moves single runs by 10% (BENCHMARKS.md)
  REPS="${REPS:-5}" RUNTIME="${RUNTIME:-3}" RAMP="${RAMP:-1}" SIZE="${SIZE:-256m}" JOBS="${JOBS:-$ALL_JOBS}" MODE="full"
fi
[[ "$REPS" =~ ^[0-9]+$ && "$REPS" -ge 1 ]] || { echo "compare.sh: --reps must be a positive number" >&2; exit 2; }
[[ "$REPS" -ge 3 ]] || echo "compare.sh: warning: fewer than 3 repetitions; the medians mean little" >&2

die() { echo "compare.sh: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "run as root (mounting needs /dev/fuse, which is 0600 here)"
# a fresh machine lacks fio, mergerfs and libfuse2's headers: install what is missing (Debian packages)
"$REPO/mount-scripts/install-deps.sh" --bench || die "could not install what the benchmarks need"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

# ---------- cleanup: unmount only what this run mounted, stop only the daemons it started ----------
WORK="" OUT=""
PT_PID="" MFS_PIDS="" TFS_PID=""
MOUNTED=()   # "kind:mountpoint"
is_mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts; }
wait_gone() { # PID SECONDS: wait for a process we started to exit
  local i
  for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
cleanup() {
  local entry kind mnt
  for entry in "${MOUNTED[@]}"; do
    kind="${entry%%:*}" mnt="${entry#*:}"
    is_mounted "$mnt" || continue
    log "unmounting $kind ($mnt)"
    if [[ $kind == tierfs ]]; then
      "$SNAP/tierfs" unmount "$mnt" >/dev/null 2>&1 || { sleep 2; "$SNAP/tierfs" unmount "$mnt" >/dev/null 2>&1; } \
        || fusermount -uz "$mnt" 2>/dev/null || true
    else
      fusermount -u "$mnt" 2>/dev/null || { sleep 1; fusermount -u "$mnt" 2>/dev/null; } || fusermount -uz "$mnt" 2>/dev/null || true
    fi
  done
  local pid
  for pid in $PT_PID $MFS_PIDS $TFS_PID; do
    [[ -n "$pid" ]] || continue
    if ! wait_gone "$pid" 30; then
      log "daemon $pid did not exit after its unmount; sending SIGTERM"
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if grep -q " $WORK/" /proc/mounts; then
      log "WARNING: something is still mounted under $WORK; leaving it in place"
    else
      rm -rf "$WORK"
    fi
  fi
  MOUNTED=() PT_PID="" MFS_PIDS="" TFS_PID="" WORK=""
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  cleanup
  # an interrupted or failed run leaves no half-filled results folder behind
  [[ -z "${OUT:-}" || -f "$OUT/results.json" || -f "$OUT/small.json" ]] || rm -rf "$OUT"
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK="$(mktemp -d /tmp/tierfs-bench.XXXXXX)"
chmod 755 "$WORK"
mkdir -p "$WORK/bin" "$WORK/logs"
STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="$REPO/benchmarks/results/$STAMP"

# ---------- tierfs, exactly as it ships: a snapshot of the launcher, the jar and its libraries ----------
# (others may rebuild target/ while this runs; the snapshot keeps this run on one build)
JAR="$REPO/target/tierfs.jar"
SNAP="$WORK/tierfs"
jar_ok() {
  [[ -f "$JAR" && -d "$REPO/target/lib" ]] || return 1
  local age=$(( $(date +%s) - $(stat -c %Y "$JAR") ))
  [[ $age -ge 5 ]] || return 1
  python3 -c 'import sys, zipfile; sys.exit(0 if zipfile.ZipFile(sys.argv[1]).testzip() is None else 1)' "$JAR" 2>/dev/null
}
if [[ " $TARGETS " == *" tierfs "* ]]; then
  built=0
  if [[ ! -f "$JAR" ]]; then
    log "building $JAR (mvn -q -B -Dmaven.test.skip=true package)"
    (cd "$REPO" && mvn -q -B -Dmaven.test.skip=true package) || die "the build failed"
    built=1  # complete, and nobody else is writing it: no need to wait for it to settle
  fi
  waited=0
  until ((built)) || jar_ok; do
    (( waited % 15 == 0 )) && log "waiting for a complete $JAR (missing or being built; build it with: mvn -q -Dmaven.test.skip=true package)"
    (( waited < 300 )) || die "no usable $JAR after 5 minutes"
    sleep 1; waited=$((waited + 1))
  done
  for attempt in 1 2 3; do
    mkdir -p "$SNAP/target"
    cp "$REPO/tierfs" "$SNAP/tierfs"
    cp "$JAR" "$SNAP/target/tierfs.jar"
    rm -rf "$SNAP/target/lib"; cp -r "$REPO/target/lib" "$SNAP/target/lib"
    [[ "$(sha256sum < "$JAR")" == "$(sha256sum < "$SNAP/target/tierfs.jar")" ]] && break
    log "the jar changed while it was copied; again"; sleep 5
    until jar_ok; do sleep 1; done
  done
  JAR_INFO="sha256 $(sha256sum < "$SNAP/target/tierfs.jar" | cut -c1-12), built $(date -r "$JAR" '+%Y-%m-%d %H:%M:%S')"
fi
GIT_INFO="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$REPO" status --porcelain -- src pom.xml 2>/dev/null)" ]]; then
  GIT_INFO+=" + uncommitted changes in src/ or pom.xml (the jar may include them)"
fi

# ---------- the C passthrough ----------
FUSE_OPTS="use_ino,big_writes,max_write=131072,max_read=131072,default_permissions,allow_other"
if [[ " $TARGETS " == *" passthrough"[\ -]* ]]; then
  gcc -O2 -Wall -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse) "$REPO/native-test/passthrough/passthrough.c" \
    -o "$WORK/bin/passthrough" $(pkg-config --libs fuse) -lpthread 2>"$WORK/logs/gcc.log" \
    || { cat "$WORK/logs/gcc.log" >&2; die "could not compile native-test/passthrough/passthrough.c"; }
fi

wait_mounted() { # MOUNTPOINT PID NAME
  local i
  for ((i = 0; i < 100; i++)); do
    if is_mounted "$1" && stat "$1/." >/dev/null 2>&1; then return 0; fi
    [[ -z "$2" ]] || kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  die "$3 did not come up on $1 (log: $(tail -5 "$WORK/logs/$3.log" 2>/dev/null))"
}

TARGET_ARGS=()
declare -A HOW
for t in $TARGETS; do
  case "$t" in
    backing)
      mkdir -p "$WORK/backing"
      TARGET_ARGS+=(--target "backing=$WORK/backing")
      HOW[backing]="the ext4 directory $WORK/backing itself (no FUSE)"
      ;;
    passthrough|passthrough-direct)
      # passthrough-direct: direct_io on every open, the passthrough's fastest setting for writes
      # (no page cache: every write is a request)
      opts="$FUSE_OPTS"
      [[ $t == passthrough ]] || opts+=",direct_io"
      dir="$WORK/$t"
      mkdir -p "$dir-backing" "$dir-mnt"
      log "mounting the C $t ($opts)"
      "$WORK/bin/passthrough" "$dir-backing" "$dir-mnt" -f -o "$opts,fsname=bench-$t" >"$WORK/logs/$t.log" 2>&1 &
      pid=$!
      PT_PID+=" $pid"
      MOUNTED+=("$t:$dir-mnt")
      wait_mounted "$dir-mnt" "$pid" "$t"
      TARGET_ARGS+=(--target "$t=$dir-mnt,pid=$pid,backing=$dir-backing")
      HOW[$t]="passthrough BACKING MNT -f -o $opts"
      ;;
    mergerfs|mergerfs-direct)
      # mergerfs 2.33.5 as users run it: its defaults keep the page cache (like tierfs: shared mmap
      # works). mergerfs-direct is its documented way to bypass the page cache, cache.files=off
      # (direct_io on every open: no shared mmap, and its O_DIRECT opens fail with EINVAL). It has
      # no big_writes/max_write options: it asks the kernel for 1 MiB requests itself.
      name="$t" dir="$WORK/$t"
      MFS_OPTS="allow_other,use_ino,fsname=bench-$t"
      [[ $t == mergerfs ]] || MFS_OPTS+=",cache.files=off"
      mkdir -p "$dir-backing" "$dir-mnt"
      log "mounting $t ($MFS_OPTS)"
      mergerfs -f -o "$MFS_OPTS" "$dir-backing" "$dir-mnt" >"$WORK/logs/$t.log" 2>&1 &
      pid=$!
      MFS_PIDS+=" $pid"
      MOUNTED+=("$t:$dir-mnt")
      wait_mounted "$dir-mnt" "$pid" "$t"
      TARGET_ARGS+=(--target "$t=$dir-mnt,pid=$pid,backing=$dir-backing")
      HOW[$t]="mergerfs -f -o $MFS_OPTS BACKING MNT ($(mergerfs -v 2>&1 | head -1))"
      ;;
    tierfs)
      mkdir -p "$WORK/tierfs-mnt"
      log "mounting tierfs (fresh data folder $WORK/tierfs-data)"
      MOUNTED+=("tierfs:$WORK/tierfs-mnt")
      # shellcheck disable=SC2086 # the options are words
      "$SNAP/tierfs" mount --data "$WORK/tierfs-data" $TIERFS_OPTS "$WORK/tierfs-mnt" >"$WORK/logs/tierfs.log" 2>&1 \
        || die "tierfs did not mount: $(tail -5 "$WORK/logs/tierfs.log"; tail -20 "$WORK/tierfs-data/tierfs.log" 2>/dev/null)"
      TFS_PID="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$WORK/tierfs-data/daemon.json")"
      wait_mounted "$WORK/tierfs-mnt" "$TFS_PID" tierfs
      TARGET_ARGS+=(--target "tierfs=$WORK/tierfs-mnt,pid=$TFS_PID,backing=$WORK/tierfs-data/ssd")
      HOW[tierfs]="tierfs mount --data DATA ${TIERFS_OPTS:+$TIERFS_OPTS }MNT (defaults: 128 KiB blocks, 8 threads; jar $JAR_INFO)"
      ;;
    *) die "unknown target '$t' (known: tierfs passthrough passthrough-direct mergerfs mergerfs-direct backing)" ;;
  esac
done

if [[ $SMALL -eq 1 ]]; then
  HOWS=(); for t in $TARGETS; do HOWS+=("$t=${HOW[$t]}"); done
  META="$(python3 -c 'import json,sys; print(json.dumps({"when": sys.argv[1], "tierfs_commit": sys.argv[2],
    "mounts": dict(a.split("=",1) for a in sys.argv[3:])}))' "$STAMP" "$GIT_INFO" "${HOWS[@]}")"
  log "small files: $FILES files, a tree of $TREE_FILES, $REPS repetitions, targets: $TARGETS"
  mkdir -p "$OUT"
  python3 "$HERE/lib/smallfiles.py" "${TARGET_ARGS[@]}" --files "$FILES" --tree-files "$TREE_FILES" \
    --reps "$REPS" --work "$WORK" --meta "$META" --out "$OUT/small.json"
  cleanup
  log "results: $OUT/small.md, $OUT/small.json"
  exit 0
fi

JOB_ARGS=() SKIPPED=()
for j in $JOBS; do JOB_ARGS+=(--job "$j"); done
for j in $ALL_JOBS; do [[ " $JOBS " == *" $j "* ]] || SKIPPED+=("$j"); done
njobs=${#JOB_ARGS[@]}; njobs=$((njobs / 2)); ntargets=$(wc -w <<<"$TARGETS")
est=$(python3 -c "print(round($njobs * $REPS * $ntargets * ($RUNTIME + $RAMP + 0.5)))")
log "$MODE run: $njobs job configurations x $REPS repetitions x $ntargets targets, $RUNTIME s each, file $SIZE: about $est s"
[[ $QUICK -eq 0 ]] || log "quick mode runs only: $JOBS (not: ${SKIPPED[*]:-none})"

META="$(python3 - "$MODE" "$GIT_INFO" "${JAR_INFO:-n/a}" "$STAMP" "${SKIPPED[*]:-}" <<'EOF'
import json, os, platform, subprocess, sys
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
mode, git, jar, stamp, skipped = sys.argv[1:6]
mem = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
print(json.dumps({
    "mode": mode, "when": stamp,
    "machine": "%s, %d CPUs, %d GiB RAM" % (sh("lscpu | sed -n 's/^Model name: *//p' | head -1"), os.cpu_count(), mem),
    "kernel": platform.release(), "fio": sh("fio --version"),
    "mergerfs": sh("mergerfs -v 2>&1 | head -1"),
    "libfuse": sh("dpkg-query -W -f '${Version}' libfuse2 2>/dev/null"),
    "tierfs_commit": git, "tierfs_jar": jar,
    "skipped_jobs": skipped.split() if skipped else [],
}))
EOF
)"
HOWS=(); for t in $TARGETS; do HOWS+=("$t=${HOW[$t]}"); done
META="$(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); m["mounts"]=dict(a.split("=",1) for a in sys.argv[2:]); print(json.dumps(m))' \
  "$META" "${HOWS[@]}")"

mkdir -p "$OUT"
python3 "$HERE/lib/runbench.py" --fio-dir "$HERE/fio" "${TARGET_ARGS[@]}" "${JOB_ARGS[@]}" \
  --reps "$REPS" --runtime "$RUNTIME" --ramp "$RAMP" --size "$SIZE" --meta "$META" --out "$OUT/results.json" \
  --disk-dir "$WORK"

# unmount before reporting, so nothing of ours stays mounted even if the report fails
cleanup
echo
python3 "$HERE/lib/report.py" "$OUT/results.json"
echo
log "results: $OUT/results.md, $OUT/results.json, $OUT/chart.svg"
