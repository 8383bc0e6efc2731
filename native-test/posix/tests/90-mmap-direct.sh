# Shared writable mmap, SQLite in WAL mode (shared mmap of the -shm file,
# fcntl locks, fsync), O_DIRECT.

# MAP_SHARED write + msync, read back with read(2), O_DIRECT, after reopen;
# coherence with pwrite; MAP_PRIVATE isolation.  See c/mmaptest.c.
t_mmap_shared() {
    local out
    out=$("$BIN/mmaptest" m 2>&1) || fail "mmaptest: $out"
}
T mmap_shared

# SQLite with journal_mode=WAL: a bulk insert, then two writer processes and
# a reader at once, then integrity_check, exact row counts, a checkpoint,
# mmap I/O on the database file, and the copied file checked outside.
t_sqlite_wal() {
    command -v sqlite3 >/dev/null || fail "sqlite3 is not installed (apt-get install sqlite3)"
    local out
    out=$(sqlite3 db.sqlite "PRAGMA journal_mode=WAL;" 2>&1)
    assert_eq "$out" wal "PRAGMA journal_mode=WAL"
    out=$(sqlite3 db.sqlite 2>&1 <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, who TEXT, v BLOB);
CREATE INDEX t_who ON t(who);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<20000)
  INSERT INTO t(who, v) SELECT 'init', randomblob(200) FROM c;
COMMIT;
SELECT count(*) FROM t;
EOF
    )
    assert_eq "$out" 20000 "rows after the bulk insert"
    # WAL mode is persistent; each connection maps db.sqlite-shm MAP_SHARED
    assert_eq "$(sqlite3 db.sqlite "PRAGMA journal_mode;" 2>&1)" wal "journal_mode of a new connection"
    local w i
    for w in w1 w2; do
        {
            echo ".timeout 60000"
            for ((i = 0; i < 200; i++)); do
                echo "BEGIN IMMEDIATE;"
                echo "INSERT INTO t(who, v) VALUES ('$w', randomblob(500)), ('$w', randomblob(10)), ('$w', randomblob(3000)), ('$w', zeroblob(100)), ('$w', randomblob(1));"
                echo "COMMIT;"
            done
        } >"$T/$w.sql"
    done
    {
        echo ".timeout 60000"
        for ((i = 0; i < 200; i++)); do echo "SELECT count(*) FROM t;"; done
    } >"$T/r.sql"
    sqlite3 db.sqlite <"$T/w1.sql" >"$T/w1.out" 2>&1 &
    local p1=$!
    sqlite3 db.sqlite <"$T/w2.sql" >"$T/w2.out" 2>&1 &
    local p2=$!
    sqlite3 db.sqlite <"$T/r.sql" >"$T/r.out" 2>&1 &
    local p3=$!
    trap "kill $p1 $p2 $p3 2>/dev/null; wait" EXIT  # also when the test fails early
    wait $p1 || fail "writer 1 failed: $(head -c 300 "$T/w1.out")"
    wait $p2 || fail "writer 2 failed: $(head -c 300 "$T/w2.out")"
    wait $p3 || fail "reader failed: $(head -c 300 "$T/r.out")"
    [[ -s "$T/w1.out" || -s "$T/w2.out" ]] && fail "writer output: $(cat "$T/w1.out" "$T/w2.out" | head -c 300)"
    sort -n -c "$T/r.out" 2>/dev/null || fail "reader saw the row count go down or garbage: $(head -c 200 "$T/r.out")"
    out=$(sqlite3 db.sqlite "PRAGMA integrity_check; SELECT count(*) FROM t; SELECT count(*) FROM t WHERE who='w1'; SELECT count(*) FROM t WHERE who='w2';" 2>&1)
    assert_eq "$out" "$(L ok 22000 1000 1000)" "integrity_check and row counts"
    out=$(sqlite3 db.sqlite "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode;" 2>&1)
    assert_eq "$out" "$(L "0|0|0" wal)" "checkpoint"
    assert_eq "$(stat -c %s db.sqlite-wal 2>/dev/null || echo 0)" 0 "size of the WAL after a TRUNCATE checkpoint"
    out=$(sqlite3 db.sqlite "PRAGMA mmap_size=268435456; SELECT sum(length(v)) FROM t; PRAGMA quick_check;" 2>&1)
    assert_eq "$out" "$(L 268435456 $((20000 * 200 + 400 * (500 + 10 + 3000 + 100 + 1))) ok)" "mmap I/O read"
    cp db.sqlite "$T/copy.sqlite" || fail "cp"
    out=$(sqlite3 "$T/copy.sqlite" "PRAGMA integrity_check; SELECT count(*) FROM t;" 2>&1)
    assert_eq "$out" "$(L ok 22000)" "the database file copied out of the directory"
}
T sqlite_wal

# O_DIRECT: aligned writes/reads read back exactly; coherent with buffered
# I/O both ways (also with pages cached before the direct write); above 4 GiB.
t_odirect() {
    expect "$(L 0 1048576 65536 ok ok 1294336 0 ok ok zero 0 4096 ok 0 ok 4096 ok 0 ok)" \
        open f O_CREAT,O_RDWR,O_DIRECT : writepat 0 0 1m 11 : writepat 0 1228800 64k 12 : \
        checkpat 0 0 1m 11 : checkpat 0 1228800 65536 12 : fstat 0 size : \
        open f O_RDONLY : checkpat 1 0 1m 11 : checkpat 1 1228800 65536 12 : zeros 1 1048576 180224 : \
        open f O_RDWR : writepat 2 8192 4096 13 : checkpat 0 8192 4096 13 : fsync 2 : checkpat 1 8192 4096 13 : \
        writepat 0 8192 4096 14 : checkpat 1 8192 4096 14 : \
        open f O_RDONLY,O_DIRECT : checkpat 3 0 8192 11
    local G=1073741824
    expect "$(L 0 4096 ok 0 ok)" open f O_RDWR,O_DIRECT : writepat 0 $((4 * G + 8192)) 4096 15 : \
        checkpat 0 $((4 * G + 8192)) 4096 15 : open f O_RDONLY : checkpat 1 $((4 * G + 8192)) 4096 15
}
T odirect
