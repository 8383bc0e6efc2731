# unlink/rmdir semantics, above all of files that are still open.

# no_hidden DIR...: fail if any listing shows a leftover like .fuse_hidden*
no_hidden() {
    local d
    for d in "$@"; do
        local l
        l=$(ls -A "$d" 2>&1 | grep -E '^\.fuse_hidden|^\.nfs' | head -n 1)
        [[ -z "$l" ]] || fail "leftover name '$l' in $d"
    done
}

# An unlinked open file stays readable and writable through its fd until
# close; fstat shows nlink 0; the name vanishes from readdir with no
# .fuse_hidden* leftover; rmdir of the former parent succeeds while the fd
# is open; the fd still works after that.
t_unlink_open() {
    mkdir d || fail mkdir
    expect "$(L 0 7 0 0 ENOENT - 5 "before-after" "d" 0 ENOENT - 6 "BEFORE-after" 12 1048576 ok 0 0 0 3 BEF 0 0600 0 0)" \
        open d/f O_CREAT,O_RDWR : write 0 before- : unlink d/f : fstat 0 nlink : stat d/f : names d : \
        write 0 after : pread 0 0 100 : names . : rmdir d : stat d : names . : pwrite 0 0 BEFORE : pread 0 0 100 : \
        fstat 0 size : writepat 0 4096 1m 5 : checkpat 0 4096 1m 5 : fsync 0 : fdatasync 0 : ftruncate 0 3 : \
        fstat 0 size : pread 0 0 100 : fchmod 0 0600 : fstat 0 mode : fstat 0 nlink : close 0
    no_hidden . "$DIR"
    expect "-" names .
}
T unlink_open

# The same with the fd held by another process: `rm`, `ls -A` and `rmdir`
# run here while a background process keeps the file open, then that
# process still reads and writes it.
t_unlink_open_other_process() {
    mkdir d && printf 'data' >d/f || fail "setup"
    "$FSOP" open d/f O_RDWR : sleep 2500 : fstat 0 nlink : pwrite 0 4 more : pread 0 0 100 : fsync 0 : close 0 \
        >"$T/bg" 2>&1 &
    local pid=$! i
    trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null" EXIT  # also when the test fails early
    for ((i = 0; i < 100; i++)); do
        ls -l /proc/$pid/fd 2>/dev/null | grep -q "/d/f" && break
        sleep 0.05
    done
    ((i < 100)) || fail "background process did not open the file"
    rm d/f || fail "rm"
    no_hidden d .
    assert_eq "$(ls -A d)" "" "listing of d while the unlinked file is open elsewhere"
    rmdir d || fail "rmdir of the former parent while the file is open elsewhere: $(ls -A d 2>&1 | tr '\n' ' ')"
    wait $pid
    assert_eq "$(cat "$T/bg")" "$(L 0 0 0 4 datamore 0 0)" "output of the process holding the unlinked file"
    no_hidden .
    expect "-" names .
}
T unlink_open_other_process

# A new file with the name of an unlinked open file is independent of it;
# two fds on the unlinked file; unlinking one of two hard links of an open
# file leaves nlink 1.
t_unlink_reuse_name() {
    expect "$(L 0 0 3 0 0 0 3 old "" 1 5 old 0 f)" \
        open f O_CREAT,O_RDWR : open f O_RDONLY : write 0 old : unlink f : close 0 : \
        open f O_CREAT,O_RDWR,O_EXCL : fstat 1 size : pread 1 0 10 : pread 2 0 10 : fstat 2 nlink : \
        write 2 new-f : pread 1 0 10 : fstat 1 nlink : names .
    expect "$(L 0 0 0 2 0 1 1 0 "f g")" open h O_CREAT,O_RDWR : link h g : write 0 "" : fstat 0 nlink : unlink h : \
        fstat 0 nlink : stat g nlink : close 0 : names .
    no_hidden .
}
T unlink_reuse_name

# unlink errors and effects on the parent directory
t_unlink_basic() {
    mkdir d && touch f && ln -s f l || fail "setup"
    expect "$(L ENOENT EISDIR ENOENT ENOTDIR 0 0 ENOENT reg "d f")" \
        unlink missing : unlink d : unlink nodir/x : unlink f/x : utimensat . 1000.0 1000.0 : unlink l : lstat l : \
        stat f type : names .
    local t
    for t in $(fsop stat . mtime,ctime | tr , ' '); do
        ts_gt "$t" 1000.000000000 || fail "directory mtime/ctime not updated by unlink ($t)"
    done
}
T unlink_basic
