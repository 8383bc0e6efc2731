#!/usr/bin/env bash
# SQLite through a tierfs mount with the kernel's writeback cache on (the default; checked first):
# a database's buffered writes must keep every committed transaction across a crash. A writer
# commits numbered transactions (a row: its number, a random payload of 200 B to 6 KiB and the
# payload's SHA-256; plus an update of a counter row) with `PRAGMA synchronous=FULL`, and after
# each COMMIT returns logs the number, the checksum and the time to a file on the host disk,
# outside the mount. After 100 to 300 commits, at a random moment, the volume crashes: `kill -9`
# of the daemon, or a power cut (the data folder on native-test/lossyfs, which drops every write
# not synced). After a remount, `PRAGMA integrity_check` must be ok, and the rows must be exactly
# 1..N, N at least the last acknowledged number and at most one more (the commit in flight), each
# payload matching its checksum and each acknowledged one the checksum logged; the database must
# take a commit after. WAL (journal_mode=WAL) and rollback journal (journal_mode=DELETE), each with
# both crashes. The checker is shown to catch a lost, torn or rewritten commit on tampered copies.
# The rollback journal faces the power cut with synchronous=FULL too: FULL does not fsync the
# directory after deleting the journal, the commit point (SQLite documents that a power cut right
# after COMMIT may then roll the transaction back, on ext4 too); tierfs syncs the unlink of a file
# that was fsynced before it answers, so FULL keeps every commit here.
# A power cut stops every program at once, but here the writer lives on after it, and SQLite can
# then report a commit it never finished (with synchronous=EXTRA: once the daemon is killed, the
# directory it opens to sync after deleting a journal cannot be opened, and SQLite takes that as
# nothing to sync). So the commits a power cut must keep are those acknowledged before it began
# (CLOCK_MONOTONIC); `kill -9` of the daemon leaves the page cache: every acknowledged commit counts.
#   SQLITE_SYNCHRONOUS=OFF native-test/sqlite-crash.sh   every case uses OFF (or NORMAL...): must fail
#   SQLITE_CASES="power:DELETE kill9:WAL" native-test/sqlite-crash.sh   some of the cases only
#   KEEP=1 native-test/sqlite-crash.sh   keeps the work folder: the acknowledged-commit logs, each
#                                        database's files as the crash left them, tierfs's logs
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-sqlite.XXXXXX)"
writer= lossy_pid=
stop_lossyfs() {
  fusermount -uz "$work/lossy" 2>/dev/null
  [[ -n "$lossy_pid" ]] && { for _ in $(seq 100); do kill -0 "$lossy_pid" 2>/dev/null || break; sleep 0.05; done; kill -9 "$lossy_pid" 2>/dev/null; wait "$lossy_pid" 2>/dev/null; }
  lossy_pid=
}
cleanup() {
  [[ -n "$writer" ]] && { kill -9 "$writer" 2>/dev/null; wait "$writer" 2>/dev/null; }
  cleanup_mounts
  # What a signal cut short (a `tierfs mount` and the daemon it started, a checker): every process
  # with this run's folder in its command line but lossyfs, ended by pid, and the mounts they left.
  local p ours=()
  for p in $(grep -lsF "$work/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    [[ $p != "$lossy_pid" ]] && grep -qsF "$work/" "/proc/$p/cmdline" && ours+=("$p")
  done
  ((${#ours[@]})) && kill -9 "${ours[@]}" 2>/dev/null
  for p in "${ours[@]}"; do
    wait "$p" 2>/dev/null   # reaps a child of ours; a daemon (init's child) is gone once /proc says so
    for _ in $(seq 100); do [[ -d /proc/$p ]] || break; sleep 0.05; done
  done
  grep -q " $mnt fuse" /proc/mounts && { fusermount -uz "$mnt" 2>/dev/null || umount -l "$mnt"; }
  stop_lossyfs
  if [[ -n "${KEEP:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # so that the EXIT trap cleans up after a signal too
mnt="$work/mnt"
mkdir -p "$mnt" "$work/backing" "$work/lossy" "$work/bin"

cat > "$work/sq.py" <<'PY'
import hashlib, os, random, sqlite3, sys, time

def write(db, mode, sync, ack):
    """Commits transactions 1, 2, 3... until the mount dies; logs each to ACK once COMMIT returned."""
    con = sqlite3.connect(db, isolation_level=None)  # no implicit transactions: BEGIN/COMMIT are ours
    got = con.execute(f"PRAGMA journal_mode={mode}").fetchone()[0]
    if got.lower() != mode.lower():
        sys.exit(f"journal_mode is {got}, not {mode}")
    con.execute(f"PRAGMA synchronous={sync}")
    con.execute("PRAGMA wal_autocheckpoint=100")  # WAL: checkpoints (and WAL restarts) every ~25 commits
    con.execute("CREATE TABLE t(seq INTEGER PRIMARY KEY, payload BLOB NOT NULL, sum TEXT NOT NULL)")
    con.execute("CREATE INDEX t_sum ON t(sum)")  # a second b-tree, its pages spread over the file
    con.execute("CREATE TABLE counter(id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    con.execute("INSERT INTO counter VALUES(1, 0)")
    ackfd = os.open(ack, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    seq = 0
    while True:
        seq += 1
        payload = os.urandom(random.randint(200, 6000))
        digest = hashlib.sha256(payload).hexdigest()
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO t VALUES(?, ?, ?)", (seq, payload, digest))
        con.execute("UPDATE counter SET n = ? WHERE id = 1", (seq,))
        con.execute("COMMIT")
        # (the host's kernel keeps the line: the host does not crash)
        os.write(ackfd, f"{seq} {digest} {time.monotonic_ns()}\n".encode())

def problems(db, mode, ack, cut=None):
    """What is wrong with DB against the commits acknowledged in ACK (an empty list: nothing), the
    number that must be there (those acknowledged before CUT, a CLOCK_MONOTONIC time in ns, if
    given), and the number of rows."""
    acked = [line.split() for line in open(ack)]
    last = len(acked) if cut is None else sum(1 for a in acked if int(a[2]) < int(cut))
    try:
        bad, n = examine(db, mode, acked, last)
    except sqlite3.Error as e:
        bad, n = [f"{type(e).__name__}: {e}"], -1
    return bad, last, n

def examine(db, mode, acked, last):
    bad = [f"ack log line {i + 1} is {a}" for i, a in enumerate(acked) if int(a[0]) != i + 1][:1]
    con = sqlite3.connect(db, isolation_level=None)  # a hot journal is rolled back, a WAL recovered
    check = [r[0] for r in con.execute("PRAGMA integrity_check")]
    if check != ["ok"]:
        bad.append("integrity_check: " + "; ".join(check[:5]))
    got = con.execute("PRAGMA journal_mode").fetchone()[0]
    if got.lower() != mode.lower():
        bad.append(f"journal_mode is {got}, not {mode}")
    seqs, torn, wrong = [], [], []
    for seq, payload, digest in con.execute("SELECT seq, payload, sum FROM t ORDER BY seq"):
        seqs.append(seq)
        if hashlib.sha256(payload).hexdigest() != digest:
            torn.append(seq)
        elif seq <= len(acked) and digest != acked[seq - 1][1]:
            wrong.append(seq)
    n = len(seqs)
    if seqs != list(range(1, n + 1)):
        gaps = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
        bad.append(f"rows are not 1..{n}: {len(gaps)} missing, first {gaps[:5]}")
    if n < last:
        lost = sorted(set(range(1, last + 1)) - set(seqs))
        bad.append(f"{len(lost)} acknowledged commits missing (of {last}): {lost[:5]}{'...' if len(lost) > 5 else ''}")
    if seqs and max(seqs) > len(acked) + 1:
        bad.append(f"row {max(seqs)} present, but only {len(acked) + 1} commits were ever begun")
    if torn:
        bad.append(f"{len(torn)} rows whose payload does not match its checksum: {torn[:5]}")
    if wrong:
        bad.append(f"{len(wrong)} rows whose checksum is not the one committed: {wrong[:5]}")
    counter = con.execute("SELECT n FROM counter WHERE id = 1").fetchone()
    if counter is None or counter[0] != (max(seqs) if seqs else 0):
        bad.append(f"counter is {counter}, the last row {max(seqs) if seqs else 0}")
    con.close()
    return bad, n

def check(db, mode, ack, copy, cut=None):
    """Checks DB against ACK, once its files as the crash left them are copied to the folder COPY;
    with CUT, only commits acknowledged before that time must be there."""
    import shutil
    os.makedirs(copy)
    journal = []
    for suffix in ("", "-wal", "-journal", "-shm"):
        if os.path.exists(db + suffix):
            shutil.copy(db + suffix, copy)
            if suffix in ("-wal", "-journal") and os.path.getsize(db + suffix) > 0:
                journal.append(f"a {suffix[1:]} of {os.path.getsize(db + suffix)} bytes")
    bad, last, n = problems(db, mode, ack, cut)
    after = sum(1 for _ in open(ack)) - last
    if not bad:  # the recovered database takes new commits
        try:
            con = sqlite3.connect(db, isolation_level=None)
            con.execute("BEGIN IMMEDIATE")
            con.execute("INSERT INTO t VALUES(?, ?, ?)", (n + 1, b"after", hashlib.sha256(b"after").hexdigest()))
            con.execute("COMMIT")
            con.close()
        except sqlite3.Error as e:
            bad.append(f"a commit after recovery failed: {e}")
    for b in bad:
        print(b)
    found = f"{journal[0]} found to recover" if journal else "no journal left"
    late = f" (+{after} after the cut began)" if cut is not None else ""
    print(f"{last} commits acknowledged{late}, {n} present; integrity ok; {found}"
          if not bad else f"{len(bad)} problems ({last} acknowledged{late}, {n} rows; {found})")
    return not bad

def cached(path, data):
    """Whether a buffered write stays in the kernel (the writeback cache) until the file is closed:
    tierfs's count of write requests, from its Prometheus endpoint, moves only at the close."""
    import json, re, urllib.request
    url = json.load(open(os.path.join(data, "daemon.json")))["metrics_url"]
    def writes():
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        m = re.search(r'^tierfs_fuse_ops_total\{op="write"\} (\S+)$', text, re.M)
        return int(float(m.group(1))) if m else 0
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
    before = writes()
    os.write(fd, b"x" * 12345)
    during = writes()
    os.close(fd)
    after = writes()
    os.unlink(path)
    print(f"write requests tierfs answered: {before} before a 12 KiB write, {during} after it, {after} after the close")
    return during == before and after > before

def selftest(db, mode, ack, scratch):
    """The checker must catch a lost, a torn and a rewritten commit: each on a copy of DB."""
    acked = [line.split() for line in open(ack)]
    last = len(acked)
    mid = random.randint(1, last - 1)
    cases = {
        f"the last acknowledged commit ({last}) lost": [f"DELETE FROM t WHERE seq >= {last}", f"UPDATE counter SET n = {last - 1}"],
        f"commit {mid} lost from the middle": [f"DELETE FROM t WHERE seq = {mid}"],
        f"commit {mid}'s payload changed": [f"UPDATE t SET payload = zeroblob(length(payload)) WHERE seq = {mid}"],
        f"commit {mid} replaced by another whole one": [f"UPDATE t SET payload = x'00', sum = '{hashlib.sha256(bytes(1)).hexdigest()}' WHERE seq = {mid}"],
        "a page overwritten with garbage": None,
    }
    missed = []
    for name, sql in cases.items():
        if os.path.exists(scratch):
            os.unlink(scratch)
        src, dst = sqlite3.connect(db), sqlite3.connect(scratch)
        src.backup(dst)
        src.close()
        dst.execute("PRAGMA journal_mode=DELETE")  # one file: its pages are overwritten below
        dst.commit()
        dst.close()
        if sql:
            con = sqlite3.connect(scratch, isolation_level=None)
            for s in sql:
                con.execute(s)
            con.close()
        else:  # the index's root page overwritten with garbage, as a torn write would leave it
            con = sqlite3.connect(scratch)
            page = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 't_sum'").fetchone()[0]
            size = con.execute("PRAGMA page_size").fetchone()[0]
            con.close()
            with open(scratch, "r+b") as f:
                f.seek((page - 1) * size)
                f.write(os.urandom(size))
        found, _, _ = problems(scratch, "delete", ack)
        print(f"{name}: {'caught: ' + found[0] if found else 'NOT caught'}")
        if not found:
            missed.append(name)
    return not missed

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "write":
        try:
            write(*args)
        except (sqlite3.Error, OSError) as e:  # the mount died under it: that is the point
            print(f"writer stopped: {e}", file=sys.stderr)
    else:
        sys.exit(0 if {"check": check, "selftest": selftest, "cached": cached}[cmd](*args) else 1)
PY

[[ -n "${SQLITE_SYNCHRONOUS:-}" ]] && echo "synchronous=$SQLITE_SYNCHRONOUS in every case: with OFF this run must fail"
start_lossyfs() {
  if [[ ! -x "$work/bin/lossyfs" ]]; then
    gcc -O2 -Wall -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse) "$REPO/native-test/lossyfs/lossyfs.c" \
      -o "$work/bin/lossyfs" $(pkg-config --libs fuse) -lpthread || return 1
  fi
  "$work/bin/lossyfs" -f "$work/backing" "$work/lossy" -o strict_dirs,quiet 2>>"$work/lossyfs.log" & lossy_pid=$!
  for _ in $(seq 100); do grep -q " $work/lossy fuse" /proc/mounts && return 0; sleep 0.05; done
  return 1
}
acks() { [[ -f "$1" ]] && wc -l < "$1" || echo 0; }

# run_case CRASH MODE: CRASH is kill9 or power, MODE WAL or DELETE
run_case() {
  local crash="$1" mode="$2" sync=FULL data ack="$work/$1-$2.ack" target pid n res last what="kill -9 of the daemon"
  [[ $crash == power ]] && what="power cut"
  sync="${SQLITE_SYNCHRONOUS:-$sync}"
  local name="$crash $mode (synchronous=$sync)"
  if [[ $crash == power ]]; then
    start_lossyfs || { fail "$name" "lossyfs did not start"; return; }
    data="$work/lossy/data-$mode"
  else
    data="$work/data-$mode"
  fi
  tierfs_mount "$mnt" "$data" || { fail "$name" "mount: $(tail -2 "$data/tierfs.log" 2>/dev/null)"; return; }
  pid="$(daemon_pid "$data")"
  if [[ ! -e "$work/cache-checked" ]]; then
    touch "$work/cache-checked"
    if res="$(python3 "$work/sq.py" cached "$mnt/probe" "$data" 2>&1)"; then
      pass "the writeback cache is on: $res"
    else
      fail "the writeback cache is on" "$res"
    fi
  fi
  python3 "$work/sq.py" write "$mnt/db" "$mode" "$sync" "$ack" 2>"$work/writer.err" & writer=$!
  target=$((100 + RANDOM % 200))   # one to three hundred commits, then a random moment
  for _ in $(seq 1500); do
    (( $(acks "$ack") >= target )) && break
    kill -0 "$writer" 2>/dev/null || break
    sleep 0.02
  done
  n="$(acks "$ack")"
  local cut=()
  if [[ $crash == power ]]; then   # power is lost: every write not synced is gone
    cut=("$(python3 -c 'import sys, time
t = time.monotonic_ns()
open(sys.argv[1], "w").write("crash")
print(t)' "$work/lossy/.lossyfs-crash")")
    [[ -n "${cut[0]}" ]] || fail "$name: power cut" "the control file refused it"
  fi
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  for _ in $(seq 100); do kill -0 "$writer" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$writer" 2>/dev/null; wait "$writer" 2>/dev/null; writer=
  if (( n >= target )); then
    pass "$name: $what after $n acknowledged commits"
  else
    fail "$name: writer" "only $n commits before the crash, wanted $target: $(tail -2 "$work/writer.err")"
  fi
  "$TIERFS" unmount "$mnt" >/dev/null 2>&1 || fusermount -uz "$mnt" 2>/dev/null
  if [[ $crash == power ]]; then
    stop_lossyfs
    start_lossyfs || { fail "$name" "lossyfs did not start again"; return; }
  fi
  tierfs_mount "$mnt" "$data" || { fail "$name: mount after the crash" "$(tail -2 "$data/tierfs.log" 2>/dev/null)"; return; }
  if res="$(python3 "$work/sq.py" check "$mnt/db" "$mode" "$ack" "$work/$crash-$mode.files" "${cut[@]}" 2>&1)"; then
    pass "$name: ${res##*$'\n'}"
  else
    fail "$name: committed transactions" "$(echo "$res" | tr '\n' ' ')"
  fi
  if [[ ! -e "$work/selftested" && -z "${SQLITE_SYNCHRONOUS:-}" ]] && (( $(acks "$ack") > 2 )); then
    touch "$work/selftested"
    if res="$(python3 "$work/sq.py" selftest "$mnt/db" "$mode" "$ack" "$work/tampered.db" 2>&1)"; then
      pass "the checker catches a tampered copy: $(echo "$res" | cut -d: -f1 | paste -sd, | sed 's/,/, /g')"
    else
      fail "the checker" "$(echo "$res" | tr '\n' ' ')"
    fi
  fi
  last="$(grep -o 'recovery ([a-z]* shutdown)' "$data/tierfs.log" | tail -1)"
  [[ "$last" == "recovery (unclean shutdown)" ]] || fail "$name: recovery" "this mount's recovery: ${last:-none}"
  tierfs_unmount "$mnt" || fail "$name: unmount" "tierfs unmount failed"
  [[ $crash == power ]] && stop_lossyfs
}

for case in ${SQLITE_CASES:-kill9:WAL kill9:DELETE power:WAL power:DELETE}; do
  run_case "${case%%:*}" "${case#*:}"
done
summary
