#!/usr/bin/env bash
# The policy engine through a real mount: rules in the config file whose actions act on their
# scope (replicate keeps a file readable after a byte of one copy is flipped; migrate moves a
# scope's blocks to a tier; compress sets the codec and compresses again), every run audited with the values that
# triggered it, idempotent, rate-limited, reloaded live; bad policies refused naming the line.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-policy.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data" conf="$work/tierfs.conf" BS=131072
mkdir -p "$mnt"
audit() { "$TIERFS" policy log --json "$mnt" | python3 -c 'import json,sys; d = json.load(sys.stdin); exec(sys.argv[1])' "$1"; }
wait_for() { for _ in $(seq 100); do "$@" && return 0; sleep 0.2; done; return 1; }
xattr() { getfattr --absolute-names --only-values -n "user.tierfs.$1" "$2" 2>/dev/null; }

# --- refused at mount, naming the line
printf 'hot-capacity = 0\npolicy.bad = read.p95_ms > 5 do explode\n' > "$conf"
out="$("$TIERFS" mount --data "$data" --config "$conf" "$mnt" 2>&1)"
[[ "$out" == *"policy.bad: unknown action 'explode'"*"$conf, line 2"* ]] && ! grep -q " $mnt " /proc/mounts \
  && pass "an unknown action is refused, naming the file and line" || fail "unknown action" "$out"
printf 'policy.big = read.p95_ms > 5 do grow-cache 1G\n' > "$conf"
out="$("$TIERFS" mount --data "$data" --config "$conf" "$mnt" 2>&1)"
[[ "$out" == *"grow-cache takes a step in percent"* ]] && pass "grow-cache's step is checked" || fail "grow-cache step" "$out"
printf 'policy.bad = read.p96_ms > 5 do replicate\n' > "$conf"
out="$("$TIERFS" mount --data "$data" --config "$conf" "$mnt" 2>&1)"
[[ "$out" == *"unknown metric 'read.p96_ms'"* ]] && pass "an unknown metric is refused" || fail "unknown metric" "$out"

# --- replicate: a low latency threshold that holds as soon as anything is written
printf 'hot-capacity = 0\nseal-after = 1\n' > "$conf"
tierfs_mount "$mnt" "$data" --config "$conf" || { summary; exit 1; }
mkdir -p "$mnt/db" "$mnt/logs"
head -c $((4 * BS)) /dev/urandom > "$work/orig"
cp "$work/orig" "$mnt/db/table" && cp "$work/orig" "$mnt/logs/app.log" && sync
seq 1 100000 | sed 's/^/2026-12-07 request served in /' > "$mnt/logs/text.log" && sync "$mnt/logs/text.log"
cat >> "$conf" <<'CONF'
policy.protect-db = write.p99_ms >= 0 and total.iops >= 0 for 1s in /db do replicate every 2s
CONF
out="$("$TIERFS" reload "$mnt" 2>&1)"
[[ "$out" == reloaded:*"1 new or changed"* ]] && pass "a policy added by reload ($out)" || fail "reload" "$out"
wait_for eval '[[ "$(xattr replicas "$mnt/db/table")" == 2 ]]' \
  && [[ "$(xattr replicas "$mnt/db")" == 2 && -z "$(xattr replicas "$mnt/logs/app.log")" ]] \
  && pass "replicate set replicas=2 on its scope and the files in it, nothing outside" || fail "replicate" "$(getfattr -d -m - "$mnt/db/table" 2>&1)"
line="$(audit 'e = [x for x in d["audit"] if x["policy"] == "protect-db"][0]; print(e["action"], e["result"], e["changed"], sorted(e["triggeredBy"]))')"
[[ "$line" == "replicate changed 2 ['total.iops', 'write.p99_ms']" ]] \
  && pass "the audit says what ran, what it changed and which values triggered it" || fail "audit" "$line"
replicas() { xattr tiers "$1" | tr ' ' '\n' | sed -n 's/^replicas=//p'; }
wait_for eval '[[ "$(replicas "$mnt/db/table")" == 4 ]]' && pass "the blocks got their replicas" || fail "replicas made" "$(xattr tiers "$mnt/db/table")"
ino="$(stat -c %i "$mnt/db/table")"
python3 - "$data/ssd/$(printf '%02x' $((ino & 255)))/$ino" $((BS + 5000)) <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR); off = int(sys.argv[2])
os.pwrite(fd, bytes([os.pread(fd, 1, off)[0] ^ 0x40]), off); os.fsync(fd); os.close(fd)
PY
echo 3 > /proc/sys/vm/drop_caches
cmp -s <(dd if="$mnt/db/table" bs=$BS iflag=direct status=none) "$work/orig" \
  && pass "a byte flipped in one copy: the file still reads whole, from the replica" || fail "read after flip" "differs"
sleep 2.5
line="$(audit 'e = [x for x in d["audit"] if x["policy"] == "protect-db"]; print(len(e), e[-1]["result"])')"
[[ "$line" == [2-9]*"no change: already so" ]] && pass "run again after its period, it changes nothing ($line)" \
  || fail "idempotent, rate-limited" "$line"

# --- migrate and compress, reloaded in
cat >> "$conf" <<'CONF'
policy.cold-logs = total.iops >= 0 in /logs do migrate hdd, compress zstd:9
CONF
out="$("$TIERFS" reload "$mnt" 2>&1)"
wait_for eval '[[ "$(xattr pin "$mnt/logs/app.log")" == hdd && "$(xattr compress "$mnt/logs")" == zstd:9 ]]' \
  && pass "migrate and compress set the pin and the codec on the scope" || fail "migrate/compress" "$out; $(getfattr -d -m - "$mnt/logs/app.log" 2>&1)"
wait_for eval '[[ "$(xattr tiers "$mnt/logs/app.log")" == *"hdd=4"* ]]' \
  && pass "the scope's blocks moved to hdd ($(xattr tiers "$mnt/logs/app.log"))" || fail "migrated" "$(xattr tiers "$mnt/logs/app.log")"
# stored much smaller than logical: the text's blocks went down compressed (the scope's codec, zstd:9)
stored_share() { python3 -c 'import sys; f = dict(kv.split("=") for kv in sys.argv[1].split()); print(int(f["stored"]) * 100 // int(f["logical"]))' "$(xattr tiers "$1")"; }
wait_for eval '[[ "$(xattr tiers "$mnt/logs/text.log")" == *"ssd=0"* ]] && (( $(stored_share "$mnt/logs/text.log") < 25 ))' \
  && pass "the text log went down compressed ($(xattr tiers "$mnt/logs/text.log"))" \
  || fail "compressed on the way down" "$(xattr tiers "$mnt/logs/text.log")"
# compress again with another codec: the text log's Zstd blocks are rewritten with LZ4
codec_bytes() { "$TIERFS" status --json "$mnt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["space"]["byCodec"][sys.argv[1]]["logicalBytes"])' "$1"; }
zstd_before="$(codec_bytes zstd)"
sed -i 's/compress zstd:9/compress lz4/' "$conf"
"$TIERFS" reload "$mnt" > /dev/null
wait_for eval '(( $(codec_bytes zstd) == 0 && $(codec_bytes lz4) == zstd_before ))' && (( zstd_before > 0 )) \
  && (( $(stored_share "$mnt/logs/text.log") < 50 )) && cmp -s <(seq 1 100000 | sed 's/^/2026-12-07 request served in /') "$mnt/logs/text.log" \
  && pass "compress lz4 rewrites the Zstd blocks with LZ4 ($zstd_before bytes; $(xattr tiers "$mnt/logs/text.log"))" \
  || fail "recompressed" "zstd $(codec_bytes zstd), lz4 $(codec_bytes lz4) of $zstd_before; $(xattr tiers "$mnt/logs/text.log")"
echo new > "$mnt/logs/new.log"
[[ "$(xattr pin "$mnt/logs/new.log")" == hdd ]] && pass "a file made in the scope later inherits the pin" || fail "inherit" "none"
grep -q '"policy":"cold-logs"' "$data/policy-audit.log" && "$TIERFS" policy log "$mnt" | grep -q 'cold-logs: migrate hdd on /logs' \
  && pass "the audit is in DATA/policy-audit.log and tierfs policy log" || fail "audit file" "$(tail -2 "$data/policy-audit.log")"
tierfs_unmount "$mnt"

# --- grow-cache and shrink-cache: the hot tier resized live, within its bounds
hot_capacity() { "$TIERFS" status --json "$mnt" | python3 -c 'import json,sys; print(next(t["capacityBytes"] for t in json.load(sys.stdin)["tiers"] if t["name"] == "hot"))'; }
printf 'compress = none\npolicy.more-cache = read.p95_ms >= 0 do grow-cache 50%% every 1s\n' > "$conf"
printf 'policy.fast-db = read.p95_ms >= 0 in /db do promote every 1h\n' >> "$conf"
tierfs_mount "$mnt" "$data" --config "$conf" --hot-capacity 4M --hot-capacity-max 8M || { summary; exit 1; }
before="$(xattr tiers "$mnt/db/table")"
count() { tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"; } # TIER TIERS-LINE: that tier's blocks
on_ssd="$(count ssd "$before")"
wait_for eval '(( $(count hot "$(xattr tiers "$mnt/db/table")") >= on_ssd ))' && [[ "$before" == hot=0* ]] && (( on_ssd > 0 )) \
  && [[ "$(xattr tiers "$mnt/logs/app.log")" == hot=0* ]] \
  && pass "promote moves the scope's blocks up: $before, then $(xattr tiers "$mnt/db/table")" \
  || fail "promote" "before: $before; now: $(xattr tiers "$mnt/db/table"); $(audit 'print([e.get("change") for e in d["audit"]])')"
wait_for eval '[[ "$(hot_capacity)" == $((8 << 20)) ]]' \
  && wait_for eval '[[ "$(audit "print(d[\"audit\"][-1][\"result\"])")" == "no change: already so" ]]' \
  && pass "grow-cache grows the hot tier live, 4M to 6M to 8M, and stops at its bound" \
  || fail "grow-cache" "capacity $(hot_capacity); $(audit 'print([e["change"] for e in d["audit"]])')"
for _ in $(seq 40); do cat "$mnt/db/table" "$mnt/logs/app.log" > /dev/null; done # blocks into the hot tier
printf 'compress = none\npolicy.less-cache = read.p95_ms >= 0 do shrink-cache 50%% every 1s\n' > "$conf"
"$TIERFS" reload "$mnt" > /dev/null
hot_used() { "$TIERFS" status --json "$mnt" | python3 -c 'import json,sys; print(next(t["usedBytes"] for t in json.load(sys.stdin)["tiers"] if t["name"] == "hot"))'; }
used_before="$(hot_used)"
wait_for eval '(( $(hot_capacity) <= 1 << 20 ))' && pass "shrink-cache shrinks it live ($(hot_capacity) bytes now)" \
  || fail "shrink-cache" "capacity $(hot_capacity)"
wait_for eval '(( $(hot_used) <= $(hot_capacity) ))' \
  && pass "the migrator moves the excess out: hot copies $used_before bytes before, $(hot_used) now" \
  || fail "excess moved out" "$(hot_used) bytes held in $(hot_capacity)"
cmp -s "$mnt/db/table" "$work/orig" && pass "the data reads the same after the resizes" || fail "data after resize" "differs"
shrunk="$(hot_capacity)"
tierfs_unmount "$mnt"
printf 'compress = none\n' > "$conf"
tierfs_mount "$mnt" "$data" --config "$conf" --hot-capacity 4M --hot-capacity-max 8M || { summary; exit 1; }
[[ "$(hot_capacity)" == "$shrunk" ]] && pass "a remount with the same hot-capacity keeps the size the policy left ($shrunk)" \
  || fail "resize kept" "$(hot_capacity), was $shrunk"
tierfs_unmount "$mnt"
summary
