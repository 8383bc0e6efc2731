# statfs/statvfs, fsync/fdatasync.

# statvfs on the directory: non-zero totals, free <= total, namemax 255;
# df works on it.
t_statfs() {
    local v bsize frsize blocks bfree bavail files ffree namemax
    v=$(fsop statvfs .)
    IFS=, read -r bsize frsize blocks bfree bavail files ffree namemax <<<"$v"
    [[ -n "$namemax" ]] || fail "statvfs: $v"
    ((bsize > 0 && frsize > 0)) || fail "statvfs: f_bsize=$bsize f_frsize=$frsize"
    ((blocks > 0)) || fail "statvfs: f_blocks is 0"
    ((bfree > 0 && bavail > 0)) || fail "statvfs: f_bfree=$bfree f_bavail=$bavail (expected free space)"
    ((bfree <= blocks && bavail <= bfree)) || fail "statvfs: inconsistent f_blocks=$blocks f_bfree=$bfree f_bavail=$bavail"
    ((namemax == 255)) || fail "statvfs: f_namemax=$namemax, expected 255"
    # the numbers describe the same file system when asked through a file
    touch f || fail touch
    assert_eq "$(fsop statvfs f bsize,frsize,blocks,namemax)" "$bsize,$frsize,$blocks,$namemax" "statvfs through a file"
    local df
    df=$(df -P -k "$PWD" 2>&1 | tail -n 1) || fail "df failed: $df"
    set -- $df
    [[ "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || fail "df: total size '$2' ($df)"
    [[ "$4" =~ ^[0-9]+$ && "$4" -gt 0 ]] || fail "df: available '$4' ($df)"
}
T statfs

# fsync/fdatasync on files (written, read-only fd), on a directory fd;
# O_SYNC/O_DSYNC writes; sync -f (syncfs); sync FILE.
t_fsync() {
    mkdir d || fail mkdir
    expect "$(L 0 3 0 0 0 0 0 0 0 0 0 0 0)" open f O_CREAT,O_RDWR : write 0 abc : fsync 0 : fdatasync 0 : \
        opendirfd . : fsync 1 : fdatasync 1 : open f O_RDONLY : fsync 2 : fdatasync 2 : opendirfd d : fsync 3 : close 3
    expect "$(L 0 5 0 5 0 sync1dsync)" open g O_CREAT,O_WRONLY,O_SYNC : write 0 sync1 : open g O_WRONLY,O_DSYNC,O_APPEND : \
        write 1 dsync : open g O_RDONLY : read 2 100
    must sync -f "$PWD"
    must sync "$PWD/f"
    must sync -d "$PWD/g"
    assert_eq "$(cat f)" abc "content after syncs"
}
T fsync
