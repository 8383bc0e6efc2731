#!/usr/bin/env bash
# The kernel's writeback cache through a real mount (on by default): buffered writes stay in the
# kernel as dirty pages and reach tierfs later, so everything the kernel now owns meanwhile (size,
# O_APPEND, truncation below dirty pages, mmap, SEEK_HOLE, privileges, fsync, a stop by signal)
# must still behave as on ext4; and the switch and the dirty limit must do what they say.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-writeback.XXXXXX)"
chmod 755 "$work" # a test writes as nobody
trap 'kill $holder 2>/dev/null; cleanup_mounts; rm -rf "$work"' EXIT
holder=""
mnt="$work/mnt" data="$work/data"

# --- refused clearly
for bad in "--writeback-cache maybe|writeback-cache must be on or off, not 'maybe'" \
           "--dirty-limit 100|dirty-limit must be from 1M to 4G" \
           "--threads 1|writeback-cache on needs at least 2 threads"; do
  opt="${bad%%|*}" want="${bad#*|}"
  mkdir -p "$mnt"
  # shellcheck disable=SC2086
  out="$("$TIERFS" mount --data "$data" $opt "$mnt" 2>&1)"
  [[ "$out" == *"$want"* ]] && ! grep -q " $mnt " /proc/mounts && pass "refused: $opt ($want)" || fail "refuse $opt" "$out"
done

tierfs_mount "$mnt" "$data" --hot-capacity 0 --dirty-limit 64M || { summary; exit 1; }
bdi="/sys/class/bdi/$(mountpoint -d "$mnt")"
max="$(cat "$bdi/max_bytes")"
(( max > 66000000 && max < 68000000 )) && pass "the dirty limit is the mount's max_bytes ($max)" || fail "dirty limit" "max_bytes $max"
url="$("$TIERFS" status --json "$mnt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metrics_url"])')"
# writes(URL): the write requests tierfs answered, from its Prometheus endpoint
cat > "$work/writes.py" <<'PY'
import re, urllib.request
def writes(url):
    m = re.search(r'^tierfs_fuse_ops_total\{op="write"\} (\S+)$', urllib.request.urlopen(url).read().decode(), re.M)
    return int(float(m.group(1))) if m else 0
PY

# --- the switch: a buffered write stays in the kernel until the file is closed
PYTHONPATH="$work" python3 - "$mnt/held" "$url" <<'PY' && pass "a buffered write reaches tierfs at close, not before (writeback cache on)" || fail "cached" "see above"
import os, sys
from writes import writes as count
writes = lambda: count(sys.argv[2])
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o644)
before = writes()
os.write(fd, b"x" * 12345)
size_now = os.stat(sys.argv[1]).st_size
during = writes()
os.close(fd)
after = writes()
ok = during == before and after > before and size_now == 12345
print(f"writes before {before}, after the write {during}, after close {after}; stat right after the write: {size_now}")
sys.exit(0 if ok else 1)
PY

# --- stat from another process right after a buffered write
python3 - "$mnt/sized" <<'PY' && pass "stat from another process right after a buffered write shows the new size" || fail "size" "see above"
import os, subprocess, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(fd, b"y" * 5000, 1_000_000)
seen = subprocess.run(["stat", "-c", "%s", sys.argv[1]], capture_output=True, text=True).stdout.strip()
os.close(fd)
print("another process saw", seen)
sys.exit(0 if seen == "1005000" else 1)
PY

# --- two processes appending with O_APPEND: every record whole, none lost
cat > "$work/append.py" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o644)
for i in range(3000):
    os.write(fd, f"{sys.argv[2]}{i:06d}{'.' * 40}\n".encode())
os.close(fd)
PY
python3 "$work/append.py" "$mnt/log" A & a=$!
python3 "$work/append.py" "$mnt/log" B & b=$!
wait $a $b
lines="$(grep -cE '^[AB][0-9]{6}\.{40}$' "$mnt/log")"
[[ "$lines" == 6000 && "$(stat -c %s "$mnt/log")" == $((6000 * 48)) ]] \
  && [[ "$(grep -c '^A' "$mnt/log")" == 3000 && "$(grep -c '^B' "$mnt/log")" == 3000 ]] \
  && pass "two processes appending with O_APPEND: 6000 whole records" || fail "O_APPEND" "$lines whole lines, $(stat -c %s "$mnt/log") bytes"

# --- truncate below dirty pages, write past the new end, mmap both ways
python3 - "$mnt/trunc" <<'PY' && pass "truncate below dirty pages, a write past the new end, then mmap reads and writes agree" || fail "truncate/mmap" "see above"
import mmap, os, sys
p = sys.argv[1]
fd = os.open(p, os.O_CREAT | os.O_RDWR, 0o644)
data = os.urandom(1 << 20)
os.pwrite(fd, data, 0)               # dirty in the kernel
os.ftruncate(fd, 100_000)            # below them
os.pwrite(fd, b"tail", 200_000)
want = data[:100_000] + bytes(100_000) + b"tail"
ok = os.pread(fd, 300_000, 0) == want
m = mmap.mmap(fd, 200_004)
ok &= m[:] == want                   # write, then mmap read
m[50:54] = b"MMAP"                   # mmap write, then read
ok &= os.pread(fd, 4, 50) == b"MMAP"
m.close()
os.close(fd)
ok &= open(p, "rb").read() == want[:50] + b"MMAP" + want[54:]
sys.exit(0 if ok else 1)
PY

# --- SEEK_DATA, SEEK_HOLE and cp see data the kernel has not written back yet
python3 - "$mnt/sparse" "$mnt/sparse.copy" <<'PY' && pass "SEEK_DATA and cp see data still in the kernel's dirty pages" || fail "seek/cp" "see above"
import os, subprocess, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR, 0o644)
os.ftruncate(fd, 4 << 20)
os.pwrite(fd, b"z" * 4096, 3 << 20)  # not written back: the file is still held open
first = os.lseek(fd, 0, os.SEEK_DATA)
hole = os.lseek(fd, first, os.SEEK_HOLE)
subprocess.run(["cp", "--sparse=always", sys.argv[1], sys.argv[2]], check=True)
ok = first <= 3 << 20 < hole and open(sys.argv[2], "rb").read() == open(sys.argv[1], "rb").read()
print("SEEK_DATA", first, "SEEK_HOLE", hole)
os.close(fd)
sys.exit(0 if ok else 1)
PY

# --- a buffered write by an unprivileged owner still clears set-user-ID
printf 'c' > "$mnt/suid" && chown 65534:65534 "$mnt/suid" && chmod 06755 "$mnt/suid"
setpriv --reuid 65534 --regid 65534 --clear-groups sh -c "printf more >> '$mnt/suid'"
[[ "$(stat -c %a "$mnt/suid")" == 755 ]] && pass "a buffered write by nobody clears set-user-ID and set-group-ID" \
  || fail "suid" "mode $(stat -c %a "$mnt/suid")"

# --- fsync after many small writes returns only once all of them are in the tier
python3 - "$mnt/small" "$data/ssd" <<'PY' && pass "fsync after 2000 small writes: all of them are in the ssd tier's file" || fail "fsync" "see above"
import os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR, 0o644)
want = b"".join(f"{i:05d}".encode() * 10 for i in range(2000))
for i in range(2000):
    os.write(fd, f"{i:05d}".encode() * 10)
os.fsync(fd)
ino = os.fstat(fd).st_ino
tier = open(os.path.join(sys.argv[2], f"{ino & 255:02x}", str(ino)), "rb").read()[:len(want)]
os.close(fd)
sys.exit(0 if tier == want else 1)
PY

# --- written, closed and unlinked (and written while unlinked): nothing left behind
before="$(find "$data/ssd" -type f | wc -l)"
python3 - "$mnt/gone" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(os.urandom(3 << 20))
os.unlink(sys.argv[1])
fd = os.open(sys.argv[1] + "2", os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, os.urandom(2 << 20))
os.unlink(sys.argv[1] + "2")      # dirty pages of a file without a name
os.write(fd, b"more")
os.close(fd)
PY
sleep 1
[[ "$(find "$data/ssd" -type f | wc -l)" == "$before" && ! -e "$mnt/gone" ]] \
  && pass "files unlinked with their data still in the kernel leave nothing behind" || fail "unlinked" "$(find "$data/ssd" -type f | wc -l) tier files, $before before"

# --- many small files made, renamed and removed by four processes at once: as on ext4
cat > "$work/files.py" <<'PY'
import hashlib, os, random, sys
from multiprocessing import Process
def work(root, p):
    rnd = random.Random(p)
    for i in range(400):
        name = os.path.join(root, f"p{p}-{i}")
        with open(name, "wb") as f:
            f.write(rnd.randbytes(rnd.randrange(0, 9000)))
        if i % 3 == 0:
            os.rename(name, os.path.join(root, f"r{p}-{i}"))
        elif i % 5 == 0:
            os.unlink(name)
        elif i % 7 == 0:
            with open(name, "ab") as f:
                f.write(b"appended")
root = sys.argv[1]
os.makedirs(root, exist_ok=True)
ps = [Process(target=work, args=(root, p)) for p in range(4)]
[p.start() for p in ps]
[p.join() for p in ps]
for n in sorted(os.listdir(root)):
    print(n, hashlib.sha256(open(os.path.join(root, n), "rb").read()).hexdigest())
PY
mkdir -p "$work/ext4"
python3 "$work/files.py" "$work/ext4/tree" > "$work/ext4.list"
python3 "$work/files.py" "$mnt/tree" > "$work/tierfs.list"
[[ -s "$work/ext4.list" ]] && cmp -s "$work/ext4.list" "$work/tierfs.list" \
  && pass "1600 small files made, renamed, appended to and removed by 4 processes: the same as on ext4 ($(wc -l < "$work/tierfs.list") left)" \
  || fail "small files" "$(diff "$work/ext4.list" "$work/tierfs.list" | head -3)"

# --- the kernel's mtime (the write's time) survives a later write-back and a remount
python3 - "$mnt/timed" > "$work/mtime" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o644)
os.write(fd, b"t" * (48 << 20))  # many write-back requests: the kernel's mtime setattr overtakes the last
print(os.fstat(fd).st_mtime_ns)
time.sleep(0.3)                   # the write-back at close comes later than the write
os.close(fd)
PY
# --- a stop by signal writes back what the kernel still holds
python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o644)
os.write(fd, bytes(range(256)) * 32768)
print("written", flush=True)
time.sleep(60)' "$mnt/unsynced" > "$work/holder.out" &
holder=$!
for _ in $(seq 50); do grep -q written "$work/holder.out" && break; sleep 0.1; done
pid="$(daemon_pid "$data")"
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; holder=""
tierfs_mount "$mnt" "$data" --hot-capacity 0 || { summary; exit 1; }
out="$(python3 - "$mnt/unsynced" <<'PY'
import sys
want = bytes(range(256)) * 32768
got = open(sys.argv[1], "rb").read()
bad = [i // 4096 for i in range(0, len(want), 4096) if got[i:i + 4096] != want[i:i + 4096]]
print(f"{len(got)} bytes, {len(bad)} pages differ: {bad[:8]}")
PY
)"
[[ "$out" == "8388608 bytes, 0 pages differ: []" ]] \
  && pass "SIGTERM with 8 MiB in dirty pages of a file still open: all of it there after a remount" \
  || { fail "stop by signal" "$out"; cp "$data/tierfs.log" "/tmp/writeback-sigterm-$$.log"; }
[[ "$(stat -c %.9Y "$mnt/timed" | tr -d .)" == "$(cat "$work/mtime")" ]] \
  && pass "the mtime a buffered write set survives its later write-back and a remount" \
  || fail "mtime" "$(stat -c %.9Y "$mnt/timed"), the kernel showed $(cat "$work/mtime")"
tierfs_unmount "$mnt"

# --- off: every write reaches tierfs at once
printf 'writeback-cache = off\n' > "$work/conf"
tierfs_mount "$mnt" "$data" --config "$work/conf" || { summary; exit 1; }
url="$("$TIERFS" status --json "$mnt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metrics_url"])')"
PYTHONPATH="$work" python3 - "$mnt/direct" "$url" <<'PY' && pass "writeback-cache = off (config file): a write reaches tierfs before it returns" || fail "off" "see above"
import os, sys
from writes import writes as count
writes = lambda: count(sys.argv[2])
import time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o644)
before = writes()
os.write(fd, b"x" * 4096)
# a worker counts a request just after answering it: give the count a moment, still before the close
deadline = time.monotonic() + 2
while writes() != before + 1 and time.monotonic() < deadline:
    time.sleep(0.01)
during = writes()
os.close(fd)
sys.exit(0 if during == before + 1 else 1)
PY
tierfs_unmount "$mnt"
summary
