# truncate/ftruncate, sparse files, files over 4 GiB, fallocate.

# bytes_of PATH: st_blocks * 512
bytes_of() { echo $(($(fsop stat "$1" blocks) * 512)); }

# truncate and ftruncate down and up: content kept below the new size,
# zeros above it after growing; st_size exact, st_blocks plausible.
t_truncate() {
    expect "$(L 0 10000 0 5000 ok "" 0 20000 ok zero 0 3 0 ok 0 0,0 0 1000000)" \
        open f O_CREAT,O_RDWR : writepat 0 0 10000 3 : ftruncate 0 5000 : fstat 0 size : checkpat 0 0 5000 3 : \
        pread 0 5000 10 : ftruncate 0 20000 : fstat 0 size : checkpat 0 0 5000 3 : zeros 0 5000 15000 : \
        truncate f 3 : fstat 0 size : truncate f 3 : checkpat 0 0 3 3 : truncate f 0 : fstat 0 size,blocks : \
        truncate f 1000000 : fstat 0 size
    local b
    b=$(bytes_of f)
    ((b < 65536)) || fail "a 1 MB file made by truncate takes $b bytes (expected a hole)"
    # a fully written 1 MiB file: st_blocks covers the data, not wildly more
    expect "$(L 0 1048576 0)" open g O_CREAT,O_WRONLY : writepat 0 0 1m 4 : fsync 0
    b=$(bytes_of g)
    ((b >= 1048576 / 2 && b <= 2 * 1048576 + 65536)) || fail "1 MiB of data: st_blocks*512 = $b"
    expect "$(L 0 0 0 zero ok)" truncate g 4096 : truncate g 1m : open g O_RDONLY : zeros 0 4096 1044480 : checkpat 0 0 4096 4
    b=$(bytes_of g)
    ((b < 1048576 / 2)) || fail "after truncating down to 4 KiB and back up, st_blocks*512 = $b"
    # errors
    mkdir d || fail mkdir
    local got
    got=$(fsop open g O_RDONLY : ftruncate 0 10 | tail -n 1)
    [[ "$got" == EINVAL || "$got" == EBADF ]] || fail "ftruncate on a read-only fd: expected EINVAL or EBADF, got $got"
    expect "$(L EISDIR EINVAL ENOENT)" truncate d 0 : truncate g -1 : truncate missing 0
    # an fd that read the old content sees the truncation done via the path
    expect "$(L 0 0 ok 0 ok "" "" 4)" open g O_RDONLY : open g O_RDWR : checkpat 0 0 4096 4 : \
        truncate g 4 : checkpat 1 0 4 4 : pread 0 4 10 : pread 0 100 10 : fstat 0 size
}
T truncate

# a 5 GiB sparse file: written only at the end, the hole reads as zeros,
# it takes (almost) no space.
t_sparse_5g() {
    local G=1073741824
    expect "$(L 0 5 $((5 * G + 5)) 0 zero zero zero zero zero tail5 '\x00\x00\x00\x00\x00tail5' "")" \
        open f O_CREAT,O_RDWR : pwrite 0 $((5 * G)) tail5 : fstat 0 size : fsync 0 : zeros 0 0 1m : \
        zeros 0 $G 1m : zeros 0 $((2 * G - 512)) 1m : zeros 0 $((4 * G - 4096)) 1m : zeros 0 $((5 * G - 1048576)) 1m : \
        pread 0 $((5 * G)) 100 : pread 0 $((5 * G - 5)) 10 : pread 0 $((5 * G + 5)) 10
    local b du
    b=$(bytes_of f)
    ((b <= 1048576)) || fail "5 GiB sparse file: st_blocks*512 = $b (expected <= 1 MiB)"
    du=$(du -k f | cut -f1)
    ((du <= 1024)) || fail "du -k of the sparse file: $du"
    assert_eq "$(stat -c %s f)" $((5 * G + 5)) "stat -c %s"
}
T sparse_5g

# files over 4 GiB: data at offsets above 2^31 and 2^32 (incl. writes
# straddling both boundaries) reads back exactly; sizes are exact.
t_large_4g() {
    local G=1073741824
    local o1=$((4 * G + 12345)) o2=$((4 * G - 1000)) o3=$((2 * G - 700)) o4=$((6 * G))
    expect "$(L 0 1048576 3000 1500 ok ok ok ok zero zero zero $((o1 + 1048576)) $o4 1 $((o4 + 1)) x)" \
        open f O_CREAT,O_RDWR : writepat 0 $o1 1m 9 : writepat 0 $o2 3000 9 : writepat 0 $o3 1500 9 : \
        checkpat 0 $o1 1m 9 : checkpat 0 $o2 3000 9 : checkpat 0 $o3 1500 9 : checkpat 0 $((4 * G - 10)) 20 9 : \
        zeros 0 $((o3 - 4096)) 4096 : zeros 0 $((o2 + 3000)) $((o1 - o2 - 3000)) : zeros 0 $((o3 + 1500)) 65536 : \
        fstat 0 size : lseek 0 $o4 SET : write 0 x : fstat 0 size : pread 0 $o4 10
    # through a fresh descriptor, with one big read straddling 4 GiB
    expect "$(L 0 ok ok 0 $((4 * G + 1)))" open f O_RDONLY : checkpat 0 $o2 3000 9 : checkpat 0 $o1 1048576 9 : \
        truncate f $((4 * G + 1)) : fstat 0 size
    expect "$(L 0 ok "")" open f O_RDONLY : checkpat 0 $o2 1001 9 : pread 0 $((4 * G + 1)) 10
}
T large_4g

# fallocate mode 0 allocates (size grows, zeros, st_blocks grows) without
# touching existing data.  Other modes must either work exactly or fail
# with EOPNOTSUPP; afterwards the file must be intact and usable.
t_fallocate() {
    expect "$(L 0 0 1048576 zero)" open f O_CREAT,O_RDWR : fallocate 0 0 0 1048576 : fstat 0 size : zeros 0 0 1m
    local b
    b=$(bytes_of f)
    ((b >= 1048576)) || fail "fallocate 1 MiB: st_blocks*512 = $b"
    expect "$(L 0 8192 0 ok 8192 0 $((2097152 + 4096)) zero ok 0 0)" open g O_CREAT,O_RDWR : writepat 0 0 8192 4 : \
        fallocate 0 0 0 8192 : checkpat 0 0 8192 4 : fstat 0 size : fallocate 0 0 2m 4096 : fstat 0 size : \
        zeros 0 8192 $((2097152 + 4096 - 8192)) : checkpat 0 0 8192 4 : posix_fallocate 0 0 10000 : fsync 0
    expect "$(L 0 EOPNOTSUPP EINVAL EINVAL)" open g O_RDWR : fallocate 0 PUNCH_HOLE 0 4096 : \
        fallocate 0 0 0 0 : fallocate 0 0 -1 4096
    # optional modes, each on a fresh 64 KiB pattern file (8 KiB at 16 KiB)
    "$FSOP" open "$T/ref" O_CREAT,O_RDWR : writepat 0 0 64k 6 >/dev/null
    local mode got b
    for mode in KEEP_SIZE PUNCH_HOLE,KEEP_SIZE ZERO_RANGE COLLAPSE_RANGE INSERT_RANGE; do
        rm -f h
        expect "$(L 0 65536)" open h O_CREAT,O_RDWR : writepat 0 0 64k 6
        got=$(fsop open h O_RDWR : fallocate 0 "$mode" 16384 8192 | tail -n 1)
        if [[ "$got" == EOPNOTSUPP ]]; then
            expect "$(L 0 65536 ok)" open h O_RDONLY : fstat 0 size : checkpat 0 0 64k 6
            continue
        fi
        [[ "$got" == 0 ]] || fail "fallocate $mode: expected 0 or EOPNOTSUPP, got $got"
        case $mode in
        KEEP_SIZE)
            expect "$(L 0 65536 ok)" open h O_RDONLY : fstat 0 size : checkpat 0 0 64k 6
            expect "$(L 0 0 65536 "")" open h O_RDWR : fallocate 0 KEEP_SIZE 65536 65536 : fstat 0 size : pread 0 65536 10
            # the reserved space past the end shows in st_blocks, as du reports it
            rm -f k && : > k
            expect "$(L 0 0)" open k O_RDWR : fallocate 0 KEEP_SIZE 0 1048576
            b=$(bytes_of k)
            ((b >= 1048576 && b <= 1048576 + 131072)) || fail "fallocate KEEP_SIZE of 1 MiB on an empty file: st_blocks*512 = $b"
            ;;
        PUNCH_HOLE,KEEP_SIZE | ZERO_RANGE)
            expect "$(L 0 65536 ok zero ok)" open h O_RDONLY : fstat 0 size : checkpat 0 0 16384 6 : \
                zeros 0 16384 8192 : checkpat 0 24576 40960 6
            ;;
        COLLAPSE_RANGE) # the 8 KiB are removed, the rest moves down
            expect "$(L 0 57344 ok)" open h O_RDONLY : fstat 0 size : checkpat 0 0 16384 6
            cmp -s -n 40960 -i 16384:24576 h "$T/ref" || fail "COLLAPSE_RANGE: data after the range is wrong"
            ;;
        INSERT_RANGE) # 8 KiB of zeros are inserted, the rest moves up
            expect "$(L 0 73728 ok zero)" open h O_RDONLY : fstat 0 size : checkpat 0 0 16384 6 : zeros 0 16384 8192
            cmp -s -n 49152 -i 24576:16384 h "$T/ref" || fail "INSERT_RANGE: data after the range is wrong"
            ;;
        esac
    done
    expect "$(L 0 ok)" open g O_RDONLY : checkpat 0 0 8192 4
}
T fallocate

# punch hole and zero range, at block boundaries, inside one block, across many blocks and over
# holes, compared with the same operations on a fresh ext4 (content, size, st_blocks, and
# SEEK_DATA/SEEK_HOLE at every 4 KiB: see holes.py)
t_holes_like_ext4() {
    local img="$T/ext4.img" ref="$T/ext4" fuse="" out rc
    truncate -s 64M "$img" && mkfs.ext4 -q -F "$img" >/dev/null || fail "mkfs.ext4 of a reference image failed"
    mkdir -p "$ref"
    mount -o loop "$img" "$ref" || fail "cannot mount the reference ext4 image (no loop devices?)"
    [[ "$(stat -f -c %T .)" == fuse* ]] && fuse=--fuse
    out=$(python3 "$HERE/holes.py" $fuse . "$ref" 2>&1)
    rc=$?
    umount "$ref"
    ((rc == 0)) || fail "$(short "$out")"
    [[ "$out" == *" scenarios, 0 differences" ]] || fail "holes.py: $(short "$out")"
}
T holes_like_ext4
