#!/usr/bin/env bash
# Compression through a real mount: a mixed corpus (logs, JSON, source code, a PNG image, a gzip
# archive, random bytes) pinned to hdd is stored by content (text at least 3x smaller; compressed
# and random data raw, no larger) and reads back byte for byte, also after a remount; a write into
# a compressed block lands; a byte flipped in a compressed block gives EIO for that block only;
# user.tierfs.tiers reports logical and stored bytes, and user.tierfs.compress=none (inherited
# from a directory) keeps text raw; blocks written straight to hdd are compressed when sealed.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-compression.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
mnt="$work/mnt" data="$work/data" corpus="$work/corpus"
BS=131072
opts=(--hot-capacity 0)
tierfs_mount "$mnt" "$data" "${opts[@]}" || { summary; exit 1; }

mkdir -p "$corpus"
python3 - "$corpus" <<'EOF'
import gzip, json, os, random, struct, sys, zlib
out = sys.argv[1]
rnd = random.Random(7)
size = 2 << 20
def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data[:size] if len(data) > size else data)
lines = []
while sum(map(len, lines)) < size:
    i = len(lines)
    lines.append(f"2026-12-07T01:{i % 60:02d}:{i * 7 % 60:02d}Z INFO [worker-{i % 8}] GET /api/v1/items/{i * 13} "
                 f"200 {rnd.randint(1, 900)}us bytes={rnd.randint(100, 9000)}\n")
write("app.log", "".join(lines).encode())
items = [{"id": i, "name": f"item-{i}", "price": rnd.randint(1, 10000) / 100, "tags": ["a", "b", "c"][: i % 3 + 1],
          "in_stock": i % 4 != 0} for i in range(40000)]
write("items.json", json.dumps(items, indent=1).encode())
src = []
for i in range(30000):
    src.append(f"    /** Returns value {i}, scaled. */\n    public int value{i}(int scale) {{\n"
               f"        return values[{i % 100}] * scale + {i};\n    }}\n\n")
write("Values.java", "".join(src).encode())
write("random.bin", os.urandom(size))
write("app.log.gz", gzip.compress("".join(lines).encode() * 2, 6) + os.urandom(size))
# a PNG of noise: compressed already
w = h = 800
raw = b"".join(b"\0" + bytes(rnd.getrandbits(8) for _ in range(w * 3)) for _ in range(h))
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
write("photo.png", png)
EOF
cp "$corpus"/* "$mnt/"
sync
(cd "$mnt" && md5sum *) > "$work/sums"
for f in "$corpus"/*; do setfattr -n user.tierfs.pin -v hdd "$mnt/$(basename "$f")"; done
blocks_of() { echo $(( ($(stat -c %s "$1") + BS - 1) / BS )); }
on_hdd() { getfattr --absolute-names --only-values -n user.tierfs.tiers "$1" 2>/dev/null | tr ' ' '\n' | sed -n 's/^hdd=//p'; }
for _ in $(seq 150); do
  all=1
  for f in "$mnt"/*; do [[ "$(on_hdd "$f")" == "$(blocks_of "$f")" ]] || all=0; done
  ((all)) && break
  sleep 0.2
done
((all)) && pass "the corpus moved to hdd within seconds of its pin" || fail "pinned to hdd" "$(for f in "$mnt"/*; do echo "$f: $(getfattr --only-values -n user.tierfs.tiers "$f")"; done)"

tier_file() { local ino; ino="$(stat -c %i "$1")"; echo "$data/hdd/$(printf '%02x' $((ino & 255)))/$ino"; }
stored() { du --block-size=1 "$(tier_file "$1")" | cut -f1; }
report=""
for name in app.log items.json Values.java; do
  logical="$(stat -c %s "$mnt/$name")" s="$(stored "$mnt/$name")"
  report+=" $name $((logical / 1024))->$((s / 1024)) KiB;"
  (( s * 3 <= logical )) && pass "$name is stored at least 3x smaller ($logical -> $s bytes)" \
    || fail "$name compressed" "$logical -> $s bytes"
done
for name in random.bin app.log.gz photo.png; do
  logical="$(stat -c %s "$mnt/$name")" s="$(stored "$mnt/$name")"
  alloc_logical=$(( (logical + 4095) / 4096 * 4096 ))
  (( s * 100 <= alloc_logical * 101 )) && pass "$name is stored raw, no larger ($logical -> $s bytes)" \
    || fail "$name raw" "$logical -> $s bytes"
done
echo "stored sizes:$report"
"$TIERFS" status --json "$mnt" > "$work/status.json"
python3 - "$work/status.json" <<'EOF' && pass "tierfs status reports ratios per codec and per content class ($(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["space"]; print({k: v["ratio"] for k, v in s["byClass"].items() if v["logicalBytes"]})' "$work/status.json"))" \
  || fail "status ratios" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["space"])' "$work/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
space, hdd = s["space"], [t for t in s["tiers"] if t["name"] == "hdd"][0]
ok = space["byClass"]["text"]["ratio"] >= 3 and space["byCodec"]["zstd"]["ratio"] >= 3 \
    and space["byClass"]["compressed"]["logicalBytes"] > 0 and space["byClass"]["incompressible"]["logicalBytes"] > 0 \
    and hdd["usedBytes"] < hdd["logicalBytes"] and space["sealedBlocks"] + space["unsealedBlocks"] == space["blocks"]
sys.exit(0 if ok else 1)
EOF

echo 3 > /proc/sys/vm/drop_caches
(cd "$mnt" && md5sum -c --quiet "$work/sums") && pass "the corpus reads back byte for byte from hdd" \
  || fail "read-back" "checksums differ"
printf 'rewritten in place' | dd of="$mnt/app.log" bs=1 seek=5000 conv=notrunc status=none
printf 'rewritten in place' | dd of="$corpus/app.log" bs=1 seek=5000 conv=notrunc status=none
cmp -s "$mnt/app.log" "$corpus/app.log" && pass "a write into a compressed block lands" || fail "write into compressed" "differs"
(cd "$mnt" && md5sum *) > "$work/sums"
tierfs_unmount "$mnt"
tierfs_mount "$mnt" "$data" "${opts[@]}" || { summary; exit 1; }
(cd "$mnt" && md5sum -c --quiet "$work/sums") && pass "everything reads back after a remount" || fail "after remount" "differs"

# a flipped byte in a compressed block: EIO for that block, the rest of the file reads
ino_file="$(tier_file "$mnt/items.json")"
python3 - "$ino_file" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
off = 3 * 131072 + 10          # inside block 3's stored bytes
b = os.pread(fd, 1, off)
os.pwrite(fd, bytes([b[0] ^ 0x20]), off)
os.fsync(fd)
EOF
echo 3 > /proc/sys/vm/drop_caches
err="$(dd if="$mnt/items.json" bs=$BS skip=3 count=1 iflag=direct status=none 2>&1 >/dev/null)"
[[ "$err" == *"Input/output error"* ]] && pass "a flipped byte in a compressed block gives EIO" || fail "EIO" "dd said: $err"
cmp -s <(dd if="$mnt/items.json" bs=$BS skip=4 count=4 iflag=direct status=none) \
       <(dd if="$corpus/items.json" bs=$BS skip=4 count=4 status=none) \
  && pass "the file's other blocks still read" || fail "other blocks" "differ"

# user.tierfs.tiers reports logical and stored bytes; user.tierfs.compress overrides the classifier
tiers_field() { getfattr --absolute-names --only-values -n user.tierfs.tiers "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
logical="$(tiers_field "$mnt/Values.java" logical)" s="$(tiers_field "$mnt/Values.java" stored)"
(( logical > 0 && s * 3 <= logical )) && pass "user.tierfs.tiers reports logical=$logical stored=$s for the source file" \
  || fail "logical/stored" "$(getfattr --only-values -n user.tierfs.tiers "$mnt/Values.java")"
err="$(setfattr -n user.tierfs.compress -v gzip "$mnt/Values.java" 2>&1)"
[[ "$err" == *"Invalid argument"* ]] && pass "an unknown compression is refused (EINVAL)" || fail "compress=gzip" "setfattr said: $err"
mkdir "$mnt/raw"
setfattr -n user.tierfs.compress -v none "$mnt/raw"
cp "$corpus/Values.java" "$mnt/raw/"
[[ "$(getfattr --absolute-names --only-values -n user.tierfs.compress "$mnt/raw/Values.java")" == none ]] \
  && pass "a file made in the directory inherits its compression" || fail "inherited compress" "none"
setfattr -n user.tierfs.pin -v hdd "$mnt/raw/Values.java"
for _ in $(seq 150); do [[ "$(on_hdd "$mnt/raw/Values.java")" == "$(blocks_of "$mnt/raw/Values.java")" ]] && break; sleep 0.2; done
logical="$(stat -c %s "$mnt/raw/Values.java")" s="$(stored "$mnt/raw/Values.java")"
(( s >= logical )) && pass "with user.tierfs.compress=none, source code is stored raw on hdd ($logical -> $s bytes)" \
  || fail "compress=none" "$logical -> $s bytes"
cmp -s "$mnt/raw/Values.java" "$corpus/Values.java" && pass "and reads back" || fail "raw Values.java" "differs"

# blocks written straight to hdd (a full ssd tier) are compressed when they are sealed
tierfs_unmount "$mnt"
tierfs_mount "$mnt" "$work/data2" --hot-capacity 0 --ssd-capacity 1M --seal-after 1 --migrate off || { summary; exit 1; }
cp "$corpus/Values.java" "$mnt/direct.java"
sync
stored_on_hdd() { du --block-size=1 "$work/data2/hdd/$(printf '%02x' $(( $(stat -c %i "$1") & 255 )))/$(stat -c %i "$1")" | cut -f1; }
for _ in $(seq 50); do (( $(stored_on_hdd "$mnt/direct.java") * 3 <= 2097152 )) && break; sleep 0.2; done
s="$(stored_on_hdd "$mnt/direct.java")"
(( s * 3 <= 2097152 )) && pass "source code written straight to hdd is compressed once sealed (2097152 -> $s bytes)" \
  || fail "compressed at sealing" "stored $s bytes; $(getfattr --absolute-names --only-values -n user.tierfs.tiers "$mnt/direct.java")"
echo 3 > /proc/sys/vm/drop_caches
cmp -s "$mnt/direct.java" "$corpus/Values.java" && pass "and reads back" || fail "direct.java" "differs"
tierfs_unmount "$mnt"
summary
