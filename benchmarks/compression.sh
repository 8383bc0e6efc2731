#!/usr/bin/env bash
# Sequential read-back of cold data, compressed against raw: a file of log lines (stored Zstd) and
# a file of random bytes (stored raw), both pinned to the hdd tier, read with fio (1 MiB O_DIRECT
# sequential reads, the page cache dropped before each run), runs interleaved; prints the stored
# sizes, each run's MB/s, the medians and their ratio. The hdd tier is a directory on this
# machine's disk, read uncached: the ratio is what decompression costs against the bytes it saves.
#   benchmarks/compression.sh [--size MiB] [--runs N] [--runtime S]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZE=256 RUNS=3 RUNTIME=8
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) SIZE="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    --runtime) RUNTIME="$2"; shift ;;
    *) echo "compression.sh: unknown option '$1' (known: --size MiB, --runs N, --runtime S)" >&2; exit 2 ;;
  esac
  shift
done
for v in SIZE RUNS RUNTIME; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "compression.sh: --${v,,} must be a positive whole number, not '${!v}'" >&2; exit 2; }
done
command -v fio >/dev/null || "$REPO/mount-scripts/install-deps.sh" --test
[[ -f "$REPO/target/tierfs.jar" ]] || (cd "$REPO" && mvn -q -B -Dmaven.test.skip=true package)
work="$(mktemp -d -t tierfs-compression-bench.XXXXXX)"
mnt="$work/mnt" data="$work/data"
trap '"$REPO/tierfs" unmount "$mnt" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$mnt"
"$REPO/tierfs" mount --data "$data" --hot-capacity 0 --migrate-rate 1G "$mnt" >/dev/null

python3 - "$mnt/text.log" "$((SIZE << 20))" <<'EOF'
import random, sys
rnd, n = random.Random(3), int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    i = written = 0
    while written < n:
        line = (f"2026-12-07T03:{i % 60:02d}:{i * 7 % 60:02d}Z INFO [worker-{i % 8}] GET /api/v1/items/{i * 13} "
                f"200 {rnd.randint(1, 900)}us bytes={rnd.randint(100, 9000)}\n")
        f.write(line[: n - written])
        written += len(line[: n - written])
        i += 1
EOF
head -c "$((SIZE << 20))" /dev/urandom > "$mnt/random.bin"
sync
blocks() { echo $(( ($(stat -c %s "$1") + 131071) / 131072 )); }
on_hdd() { getfattr --absolute-names --only-values -n user.tierfs.tiers "$1" | tr ' ' '\n' | sed -n 's/^hdd=//p'; }
for f in text.log random.bin; do setfattr -n user.tierfs.pin -v hdd "$mnt/$f"; done
for _ in $(seq 600); do
  [[ "$(on_hdd "$mnt/text.log")" == "$(blocks "$mnt/text.log")" && "$(on_hdd "$mnt/random.bin")" == "$(blocks "$mnt/random.bin")" ]] && break
  sleep 0.5
done
stored() { local ino; ino="$(stat -c %i "$1")"; du --block-size=1M "$data/hdd/$(printf '%02x' $((ino & 255)))/$ino" | cut -f1; }
echo "on hdd: text.log $SIZE MiB stored in $(stored "$mnt/text.log") MiB, random.bin $SIZE MiB stored in $(stored "$mnt/random.bin") MiB"

read_mbs() { # FILE: MB/s of one sequential O_DIRECT read run
  echo 3 > /proc/sys/vm/drop_caches
  fio --name=seq --filename="$1" --rw=read --bs=1m --direct=1 --time_based --runtime="$RUNTIME" \
    --output-format=json 2>/dev/null | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["bw_bytes"] / 1e6))'
}
compressed=() raw=()
for r in $(seq "$RUNS"); do
  compressed+=("$(read_mbs "$mnt/text.log")")
  raw+=("$(read_mbs "$mnt/random.bin")")
  echo "run $r: compressed (Zstd) ${compressed[-1]} MB/s, raw ${raw[-1]} MB/s"
done
python3 - "${compressed[*]}" "${raw[*]}" <<'EOF'
import statistics, sys
c, r = (statistics.median(map(float, a.split())) for a in sys.argv[1:3])
print(f"median: compressed {c:.0f} MB/s, raw {r:.0f} MB/s: {c / r:.2f}x (goal: compressed >= 0.5x raw) "
      + ("met" if c >= 0.5 * r else "MISSED"))
EOF
