#!/bin/bash
# Self-test for lossyfs: builds it into a temp dir, mounts it over a temp
# backing dir and checks that exactly the synced data survives a crash.
# Needs root (to mount), gcc, libfuse-dev (libfuse2), fusermount, sqlite3.
# Optional: java + rocksdbjni jar (ROCKSDB_JAR, or found under ~/.m2) for a
# RocksDB check.  The last line is "N passed, N failed[, N skipped]".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d -t lossyfs-selftest.XXXXXX)
B=$T/backing   # lossyfs's backing directory
M=$T/mnt       # lossyfs's mountpoint
O=$T/out       # normal disk: expected data, logs
mkdir -p "$B" "$M" "$O"
PASS=0
FAIL=0
SKIP=0
LPID=""        # the lossyfs process we started
SPID=""        # the lossyfs mounted over its own backing dir
WPIDS=""       # workload processes we started
LOG=$T/lossyfs.log

cleanup() {
    local p
    for p in $WPIDS; do kill -9 "$p" 2>/dev/null; done
    for p in $WPIDS; do wait "$p" 2>/dev/null; done
    if grep -qs " $M " /proc/mounts; then fusermount -uz "$M" 2>/dev/null; fi
    if grep -qs " $T/self " /proc/mounts; then fusermount -uz "$T/self" 2>/dev/null; fi
    if [ -n "$SPID" ]; then kill -9 "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; fi
    if [ -n "$LPID" ]; then
        for _ in $(seq 50); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$LPID" 2>/dev/null && kill -9 "$LPID" 2>/dev/null
        wait "$LPID" 2>/dev/null
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad()  { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
skip() { SKIP=$((SKIP + 1)); echo "skip - $*"; }
check() { # check NAME COMMAND...
    local name=$1; shift
    if "$@" >>"$O/check.log" 2>&1; then ok "$name"; else bad "$name"; tail -5 "$O/check.log" | sed 's/^/       /'; fi
}
finish() {
    if [ "$SKIP" -gt 0 ]; then echo "$PASS passed, $FAIL failed, $SKIP skipped"
    else echo "$PASS passed, $FAIL failed"; fi
    [ "$FAIL" -eq 0 ]
    exit $?
}

mount_lfs() { # mount_lfs [lossyfs options...]
    "$T/lossyfs" -f "$B" "$M" "$@" 2>>"$LOG" &
    LPID=$!
    for _ in $(seq 100); do
        grep -qs " $M " /proc/mounts && return 0
        kill -0 "$LPID" 2>/dev/null || break
        sleep 0.05
    done
    echo "lossyfs did not mount" >&2; tail -5 "$LOG" >&2
    return 1
}
umount_lfs() { # lazy unmount, then wait for our lossyfs process to exit
    fusermount -uz "$M" 2>/dev/null
    if [ -n "$LPID" ]; then
        for _ in $(seq 100); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.05; done
        if kill -0 "$LPID" 2>/dev/null; then
            echo "lossyfs $LPID did not exit after unmount; killing it" >&2
            kill -9 "$LPID" 2>/dev/null
        fi
        wait "$LPID" 2>/dev/null
        LPID=""
    fi
}
remount() { umount_lfs; mount_lfs "$@"; }
crash() { echo crash > "$M/.lossyfs-crash"; }
crashed() { grep -q '^state=crashed' "$M/.lossyfs-crash"; }
kill_workloads() {
    local p
    for p in $WPIDS; do kill -9 "$p" 2>/dev/null; done
    for p in $WPIDS; do wait "$p" 2>/dev/null; done
    WPIDS=""
}
rand_ms() { echo $(( $1 + RANDOM % ($2 - $1) )); }
sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN{printf "%.3f", m/1000}')"; }
fsize() { stat -c %s "$1"; }

# ---------------------------------------------------------------- build
if [ "$(id -u)" != 0 ]; then echo "selftest.sh must run as root (/dev/fuse)"; bad "running as root"; finish; fi
if ! gcc -O2 -Wall -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse) "$HERE/lossyfs.c" \
        -o "$T/lossyfs" $(pkg-config --libs fuse) -lpthread >"$O/build.log" 2>&1 \
   || ! gcc -O2 -Wall -o "$T/testprog" "$HERE/testprog.c" >>"$O/build.log" 2>&1; then
    cat "$O/build.log"; bad "build"; finish
fi
if grep -q warning "$O/build.log"; then bad "build without warnings"; cat "$O/build.log"; else ok "build without warnings"; fi
TP=$T/testprog

mount_lfs || { bad "mount"; finish; }

# ------------------------------------------- 1. synced data survives a crash
head -c 1000000 /dev/urandom > "$O/f1"
head -c 12345 /dev/urandom > "$O/f2"
cp "$O/f1" "$M/f1" && sync "$M/f1"
dd if="$O/f2" of="$M/f2" bs=4000 conv=fdatasync status=none
mkdir "$M/dir"
head -c 70000 /dev/urandom > "$O/f3"
cp "$O/f3" "$M/dir/f3" && sync -d "$M/dir/f3"
check "before the crash the mount shows the data" cmp "$M/f1" "$O/f1"
check "nothing written to the backing file before fsync (cp into lossyfs, no sync)" \
    bash -c "head -c 5000 /dev/urandom > '$M/nosync' && [ \$(stat -c %s '$B/nosync') = 0 ] && [ \$(stat -c %s '$M/nosync') = 5000 ]"
crash
check "status shows crashed" crashed
check "every request fails with EIO after the crash" \
    bash -c "! cat '$M/f1' >/dev/null 2>$O/eio.txt && grep -q 'Input/output error' $O/eio.txt && ! stat '$M/f2' >/dev/null 2>&1 && ! ls '$M' >/dev/null 2>&1 && ! touch '$M/new' 2>/dev/null"
remount
check "1. fsync'ed file survives crash+remount byte-for-byte" cmp "$M/f1" "$O/f1"
check "1. fdatasync'ed (dd conv=fdatasync) file survives" cmp "$M/f2" "$O/f2"
check "1. file in a subdirectory survives" cmp "$M/dir/f3" "$O/f3"
check "1. unsynced new file is empty after the crash" test "$(fsize "$M/nosync")" = 0

# ------------------------------------- 2. unsynced data is gone after a crash
cp "$O/f1" "$O/f1.new"
head -c 10000 /dev/urandom > "$O/patch"
dd if="$O/patch" of="$O/f1.new" bs=1 seek=123457 conv=notrunc status=none
head -c 54321 /dev/urandom >> "$O/f1.new"
dd if="$O/patch" of="$M/f1" bs=1 seek=123457 conv=notrunc status=none
tail -c 54321 "$O/f1.new" >> "$M/f1"
check "2. the mount shows unsynced overwrite+append before the crash" cmp "$M/f1" "$O/f1.new"
check "2. stat reports the pending size" test "$(fsize "$M/f1")" = "$(fsize "$O/f1.new")"
check "2. backing file untouched before fsync" cmp "$B/f1" "$O/f1"
sync "$M/f2"   # a sync of another file must not persist f1
crash
remount
check "2. unsynced overwrite+append gone: old contents and size" cmp "$M/f1" "$O/f1"

# ---------------------------------- 2b. truncate and punch hole are pending
cp "$O/f3" "$O/f3.t"
truncate -s 1000 "$M/dir/f3"
truncate -s 50000 "$M/dir/f3"
head -c 1000 "$O/f3" > "$O/f3.t" && truncate -s 50000 "$O/f3.t"
check "2b. truncate down then up reads zeros past the cut" cmp "$M/dir/f3" "$O/f3.t"
"$TP" punch "$M/f2" 8192 20000   # util-linux fallocate would fsync
cp "$O/f2" "$O/f2.p" && dd if=/dev/zero of="$O/f2.p" bs=1 seek=8192 count=4153 conv=notrunc status=none
check "2b. punched hole reads zeros, size kept" cmp "$M/f2" "$O/f2.p"
crash
remount
check "2b. unsynced truncate undone by the crash" cmp "$M/dir/f3" "$O/f3"
check "2b. unsynced punch hole undone by the crash" cmp "$M/f2" "$O/f2"
truncate -s 1000 "$M/dir/f3" && truncate -s 50000 "$M/dir/f3" && sync "$M/dir/f3"
"$TP" punch "$M/f2" 8192 20000 && sync "$M/f2"
crash
remount
check "2b. synced truncate persists (zeros past the cut)" cmp "$M/dir/f3" "$O/f3.t"
check "2b. synced punch hole persists" cmp "$M/f2" "$O/f2.p"

head -c 1048576 /dev/urandom > "$M/sparse" && sync "$M/sparse"
blk1=$(stat -c %b "$B/sparse")
"$TP" punch "$M/sparse" 0 786432 && sync "$M/sparse"
blk2=$(stat -c %b "$B/sparse")
check "2b. a synced punch hole frees space in the backing file ($blk1 -> $blk2 blocks)" test "$blk2" -lt "$blk1"
head -c 30000 /dev/urandom > "$O/osync"
dd if="$O/osync" of="$M/osync" bs=7000 oflag=sync status=none
dd if="$O/osync" of="$M/odsync" bs=7000 oflag=dsync status=none
crash
remount
check "2b. O_SYNC writes are durable without fsync" cmp "$M/osync" "$O/osync"
check "2b. O_DSYNC writes are durable without fsync" cmp "$M/odsync" "$O/osync"

# --------------------------------------- 3. write-fsync-rename sequences
printf 'MANIFEST-000001\n' > "$M/CURRENT" && sync "$M/CURRENT"
printf 'MANIFEST-000002\n' > "$M/000002.dbtmp" && sync "$M/000002.dbtmp" && mv "$M/000002.dbtmp" "$M/CURRENT"
"$TP" wrf "$M/000009.sst.tmp" "$M/000009.sst" "$O/sst" 300001 9 || bad "3. wrf workload"
head -c 40000 /dev/urandom > "$O/late"
cp "$O/late" "$M/late.tmp" && mv "$M/late.tmp" "$M/late" && sync "$M/late"
printf 'v1\n' > "$M/OPTIONS" && sync "$M/OPTIONS"
printf 'v2-unsynced\n' > "$M/OPTIONS.tmp" && mv "$M/OPTIONS.tmp" "$M/OPTIONS"
crash
remount
check "3. write+fsync+rename over CURRENT survives" test "$(cat "$M/CURRENT")" = "MANIFEST-000002"
check "3. temp name gone after rename" test ! -e "$M/000002.dbtmp"
check "3. rename while open, then fsync through the fd, persists under the new name" cmp "$M/000009.sst" "$O/sst"
check "3. write, rename, then fsync of the new name persists" cmp "$M/late" "$O/late"
check "3. rename of an unsynced file over a synced one leaves an empty file (renames are durable, data is not)" \
    test "$(fsize "$M/OPTIONS")" = 0

# ---------------------------------------------- unlinked while open
check "unlink while open, write, fsync, read back" "$TP" unlinkopen "$M/unlinked"
check "hidden files cleaned up" bash -c "! ls -a '$B' | grep -q fuse_hidden"

# ------------------------- 4. appends + fdatasync, crash at a random moment
append_round() { # append_round NAME TRIGGER [torn]
    local name=$1 trig=$2 f=$M/append.log.$1 lg=$O/append.ack.$1
    "$TP" append "$f" "$lg" 2>/dev/null &
    local wp=$!; WPIDS="$WPIDS $wp"
    case $trig in
        ctl)    sleep_ms "$(rand_ms 100 1500)"; crash ;;
        signal) sleep_ms "$(rand_ms 100 1500)"; kill -USR1 "$LPID"
                for _ in $(seq 100); do crashed 2>/dev/null && break; sleep 0.02; done ;;
        timer)  for _ in $(seq 200); do kill -0 "$wp" 2>/dev/null || break; sleep 0.05; done ;;
    esac
    kill_workloads
    remount
    local acked tried
    acked=$(grep -s '^A ' "$lg" | tail -1 | cut -d' ' -f2); acked=${acked:-0}
    tried=$(grep -s '^W ' "$lg" | tail -1 | cut -d' ' -f2); tried=${tried:-$acked}
    echo "append $name: acknowledged $acked, attempted $tried, survived $(fsize "$f")" >>"$O/check.log"
    check "4. appends+fdatasync${3:+ (torn_sync)}, crash by $trig at a random moment: file is the appended prefix, >= last ack ($acked B)" \
        "$TP" verify "$f" "$acked" "$tried" ${3:-}
}
append_round a ctl
append_round b signal
append_round c ctl
umount_lfs
mount_lfs -o crash_random_ms=1800,crash_min_ms=300,seed=$RANDOM || bad "mount with crash_random_ms"
append_round d timer
umount_lfs
mount_lfs -o torn_sync || bad "mount with torn_sync"
append_round e ctl torn

# ---------------- concurrent appenders (multithreaded daemon), random crash
for i in 1 2 3 4; do "$TP" append "$M/par.$i" "$O/par.$i" 2>/dev/null & WPIDS="$WPIDS $!"; done
sleep_ms "$(rand_ms 300 1500)"
crash
kill_workloads
remount
for i in 1 2 3 4; do
    acked=$(grep '^A ' "$O/par.$i" | tail -1 | cut -d' ' -f2)
    tried=$(grep '^W ' "$O/par.$i" | tail -1 | cut -d' ' -f2)
    check "4. concurrent appender $i: prefix, >= last ack ($acked B)" "$TP" verify "$M/par.$i" "$acked" "$tried"
done

# -------- random write/truncate/punch/fallocate/mmap/reopen/fsync vs a model
check "fsx: 30000 random operations agree with the model" "$TP" fsx "$M/fsx0" "$O/fsx0.snap" 11 30000 20
crash
remount
check "fsx: after the crash the file equals the last synced model" cmp "$M/fsx0" "$O/fsx0.snap"
for r in 1 2; do
    "$TP" fsx "$M/fsx$r" "$O/fsx$r.snap" $RANDOM 100000000 30 2>"$O/fsx$r.err" & WPIDS="$WPIDS $!"
    sleep_ms "$(rand_ms 200 1500)"
    crash
    kill_workloads
    remount
    check "fsx $r: crash at a random moment leaves exactly the last synced state" \
        bash -c "cmp -s '$M/fsx$r' '$O/fsx$r.snap' || { [ -e '$O/fsx$r.snap.pending' ] && cmp '$M/fsx$r' '$O/fsx$r.snap.pending'; }"
    check "fsx $r: no model mismatch before the crash" bash -c "! grep -q 'fsx op' '$O/fsx$r.err'"
done

# -------------------------------------------------- control interface, options
echo "crash_after_ops 1" > "$M/.lossyfs-crash"
check "crash_after_ops: the next mutating request fails with EIO" bash -c "! touch '$M/x1' 2>/dev/null"
check "crash_after_ops: status crashed" bash -c "grep -q 'reason=crash_after_ops' '$M/.lossyfs-crash'"
remount
echo "crash_after_ms 200" > "$M/.lossyfs-crash"
sleep 0.6
check "crash_after_ms via the control file" crashed
remount
# fail_fsync: a failed write-back, reported once, as the kernel reports it
FSYNC_TWICE='import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
got = []
for _ in range(2):
    try:
        os.fsync(fd)
        got.append("ok")
    except OSError as e:
        got.append(errno.errorcode.get(e.errno, str(e.errno)))
print(got)
sys.exit(got != ["EIO", "ok"])'
printf 'synced\n' > "$M/ff" && sync "$M/ff"
printf 'unsynced\n' >> "$M/ff"
printf 'other\n' > "$M/fg"
echo "fail_fsync /ff" > "$M/.lossyfs-crash"
check "fail_fsync: the status shows it armed" grep -qx 'fail_fsync=/ff' "$M/.lossyfs-crash"
check "fail_fsync: a file outside the prefix syncs" sync "$M/fg"
check "fail_fsync: the next fsync fails with EIO, the retry succeeds" python3 -c "$FSYNC_TWICE" "$M/ff"
check "fail_fsync: disarmed once delivered" grep -qx 'fail_fsync=' "$M/.lossyfs-crash"
check "fail_fsync: the write-back that failed lost the unsynced append" test "$(cat "$M/ff")" = synced
echo "fail_fsync /fg" > "$M/.lossyfs-crash" && echo disarm > "$M/.lossyfs-crash"
check "fail_fsync: disarm cancels it" bash -c "grep -qx 'fail_fsync=' '$M/.lossyfs-crash' && sync '$M/fg'"
check "fail_fsync without a path is refused" bash -c "! echo 'fail_fsync ff' > '$M/.lossyfs-crash'"
printf 'durable\n' > "$M/clean" 
umount_lfs
check "clean unmount flushes unsynced data (like a real unmount)" grep -q durable "$B/clean"
mount_lfs -o lose_on_unmount
printf 'lost\n' > "$M/lose"
umount_lfs
check "lose_on_unmount: clean unmount discards unsynced data" test "$(fsize "$B/lose")" = 0

mount_lfs -o strict_dirs
mkdir -p "$M/sd"
printf 'a\n' > "$M/sd/keep" && sync "$M/sd/keep" && sync "$M/sd"
printf 'b\n' > "$M/sd/vanish" && sync "$M/sd/vanish"
printf 'c\n' > "$M/sd/renamed.tmp" && sync "$M/sd/renamed.tmp" && mv "$M/sd/renamed.tmp" "$M/sd/renamed"
crash
remount
check "strict_dirs: file created and fsynced, directory fsynced: kept" test "$(cat "$M/sd/keep")" = a
check "strict_dirs: file fsynced but its directory not: vanished" test ! -e "$M/sd/vanish"
check "strict_dirs: renamed file is treated as durable" test "$(cat "$M/sd/renamed" 2>/dev/null)" = c

# ------------------------------ mounted over its own backing directory
umount_lfs
mkdir -p "$T/self" && printf 'old\n' > "$T/self/f"
"$T/lossyfs" -f "$T/self" "$T/self" 2>>"$LOG" & SPID=$!
for _ in $(seq 100); do grep -qs " $T/self " /proc/mounts && break; sleep 0.05; done
printf 'synced\n' > "$T/self/g" && sync "$T/self/g"
printf 'unsynced\n' >> "$T/self/f"
echo crash > "$T/self/.lossyfs-crash"
fusermount -uz "$T/self"
for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
kill -9 "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=""
check "mounted over its own backing directory: synced kept, unsynced lost" \
    test "$(cat "$T/self/f" "$T/self/g")" = "$(printf 'old\nsynced')"
mount_lfs

# ---------------------------------------- sqlite3, rollback journal, crash
if ! command -v sqlite3 >/dev/null && command -v apt-get >/dev/null; then
    apt-get install -y -qq sqlite3 >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq sqlite3 >/dev/null 2>&1; }
fi
if command -v sqlite3 >/dev/null; then
    DB=$M/t.db
    sqlite3 "$DB" "CREATE TABLE t(txn INTEGER, i INTEGER, v TEXT); CREATE INDEX ti ON t(txn);" >/dev/null
    check "sqlite: default journal mode is delete (rollback journal)" \
        test "$(sqlite3 "$DB" 'PRAGMA journal_mode;')" = delete
    for n in $(seq 1 20); do
        sqlite3 "$DB" "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<50) INSERT INTO t SELECT $n, x, hex(randomblob(200)) FROM c; COMMIT;"
    done
    : > "$O/sqlite.ack"
    {
        for n in $(seq 21 3000); do
            echo "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<50) INSERT INTO t SELECT $n, x, hex(randomblob(200)) FROM c; UPDATE t SET v = hex(randomblob(150)) WHERE txn = $((n / 2)); COMMIT;"
            echo ".system echo $n >> $O/sqlite.ack"
        done
    } > "$O/sqlite.sql"
    # -bail: stop at the first error, so no ack follows a COMMIT that failed
    sqlite3 -bail "$DB" < "$O/sqlite.sql" >/dev/null 2>&1 & WPIDS="$WPIDS $!"
    sleep_ms "$(rand_ms 500 2500)"
    crash
    kill_workloads
    remount
    acked=$(tail -1 "$O/sqlite.ack"); acked=${acked:-20}
    check "sqlite: PRAGMA integrity_check = ok after crash+remount" \
        test "$(sqlite3 "$DB" 'PRAGMA integrity_check;')" = ok
    check "sqlite: committed transactions present and whole (>= $acked acknowledged)" \
        test "$(sqlite3 "$DB" "SELECT count(DISTINCT txn) = max(txn) AND max(txn) >= $acked AND (SELECT count(*) FROM (SELECT txn FROM t GROUP BY txn HAVING count(*) != 50)) = 0 FROM t;")" = 1
    echo "sqlite: acknowledged $acked, present $(sqlite3 "$DB" 'SELECT max(txn) FROM t;')" >>"$O/check.log"
else
    skip "sqlite3 not installed"
fi

# ------------------------------------------- RocksDB (optional: java + jar)
JAR=${ROCKSDB_JAR:-$(find "$HOME/.m2/repository/org/rocksdb/rocksdbjni" -name 'rocksdbjni-*.jar' 2>/dev/null | grep -v sources | sort -V | tail -1)}
if command -v java >/dev/null && [ -n "$JAR" ] && [ -f "$JAR" ] && [ -f "$HERE/RocksCrash.java" ]; then
    RD=$M/rocks
    java -cp "$JAR" "$HERE/RocksCrash.java" write "$RD" "$O/rocks.ack" >"$O/rocks.out" 2>&1 & WPIDS="$WPIDS $!"
    for _ in $(seq 600); do [ -s "$O/rocks.ack" ] && break; sleep 0.05; done
    sleep_ms "$(rand_ms 500 2500)"
    crash
    kill_workloads
    remount
    acked=$(tail -1 "$O/rocks.ack" 2>/dev/null); acked=${acked:--1}
    check "rocksdb: reopens after crash+remount with every synced write (>= $acked acknowledged)" \
        java -cp "$JAR" "$HERE/RocksCrash.java" verify "$RD" "$acked"
else
    skip "rocksdb check (needs java and rocksdbjni jar; set ROCKSDB_JAR)"
fi

umount_lfs
check "lossyfs exited and left no mount" bash -c "! grep -qs ' $M ' /proc/mounts"
finish
