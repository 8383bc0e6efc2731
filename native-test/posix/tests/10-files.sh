# Regular files: create/write/read back, O_APPEND, O_TRUNC, O_EXCL,
# reading past EOF, pread/pwrite.

# cp a random 3 MB file in and compare; write/read with odd block sizes;
# overwrite in the middle without truncating.
t_file_write_read() {
    local src
    src=$(randfile src 3000001)
    must cp "$src" f
    cmp -s "$src" f || fail "cp: content differs"
    expect "reg,3000001" stat f type,size
    dd if="$src" of=g bs=4097 status=none || fail "dd write failed"
    cmp -s "$src" g || fail "dd bs=4097: content differs"
    dd if=g bs=333 status=none | cmp -s - "$src" || fail "dd read bs=333: content differs"
    cat "$src" | cat >h || fail "write from a pipe failed"
    cmp -s "$src" h || fail "write from a pipe: content differs"
    # overwrite 10000 bytes at offset 123457 in place
    head -c 10000 /dev/urandom >"$T/patch"
    dd if="$T/patch" of=f bs=10000 seek=123457 oflag=seek_bytes conv=notrunc status=none || fail "dd overwrite failed"
    dd if="$T/patch" of="$src" bs=10000 seek=123457 oflag=seek_bytes conv=notrunc status=none
    cmp -s "$src" f || fail "in-place overwrite: content differs"
    expect "3000001" stat f size
    # the same through a fresh open after close (no stale cache)
    expect "$(L 0 1048583 ok zero)" open p O_CREAT,O_RDWR : writepat 0 12345 1048583 21 : checkpat 0 12345 1048583 21 : zeros 0 0 12345
}
T file_write_read

# O_APPEND: every write goes to the end, whatever the file offset, also with
# two appending descriptors interleaved; a non-append fd writes at its offset.
t_file_append() {
    expect "$(L 0 3 0 0 3 0 2 1 9 abcdefghi 9 1 abcXefghi)" \
        open f O_CREAT,O_RDWR,O_TRUNC : write 0 abc : \
        open f O_WRONLY,O_APPEND : lseek 1 0 SET : write 1 def : \
        open f O_WRONLY,O_APPEND : write 2 gh : write 1 i : lseek 1 0 CUR : \
        pread 0 0 100 : fstat 1 size : write 0 X : pread 0 0 100
    # shell >> appends
    printf 'one\n' >>g && printf 'two\n' >>g || fail "shell >> failed"
    assert_eq "$(cat g)" "$(L one two)" ">> appended content"
}
T file_append

# O_TRUNC empties the file, keeps the inode, updates mtime/ctime.
t_file_trunc() {
    expect "$(L 0 11 0)" open f O_CREAT,O_WRONLY : write 0 "hello world" : utimensat f 1000000000.5 1000000000.5
    local ino
    ino=$(fsop stat f ino)
    expect "$(L 0 "0,$ino" "" 0 0 3 abc)" open f O_RDWR,O_TRUNC : fstat 0 size,ino : pread 0 0 100 : close 0 : \
        open f O_RDWR : write 1 abc : pread 1 0 100
    local m
    m=$(fsop stat f mtime)
    ts_gt "$m" 1000000000.500000000 || fail "O_TRUNC did not update mtime ($m)"
    # O_TRUNC via a second name keeps the other fd's view consistent
    expect "$(L 0 3 0 0 "")" open g O_CREAT,O_RDWR : write 0 xyz : open g O_WRONLY,O_TRUNC : fstat 0 size : pread 0 0 10
}
T file_trunc

# O_CREAT|O_EXCL on an existing file / dir / (dangling) symlink -> EEXIST,
# and related open() errors.
t_file_excl() {
    expect "$(L 0 4 EEXIST 0 data)" open f O_CREAT,O_EXCL,O_WRONLY : write 0 data : \
        open f O_CREAT,O_EXCL,O_RDWR : open f O_RDONLY : pread 1 0 10
    mkdir d || fail "mkdir"
    ln -s nowhere dangling || fail "symlink"
    ln -s f good || fail "symlink"
    expect "$(L EEXIST EEXIST ENOENT EEXIST EISDIR ENOTDIR ENOENT ENOENT ENOTDIR ELOOP)" \
        open d O_CREAT,O_EXCL,O_WRONLY : open dangling O_CREAT,O_EXCL,O_WRONLY : stat nowhere : \
        open good O_CREAT,O_EXCL,O_WRONLY : open d O_CREAT,O_WRONLY : open f O_RDONLY,O_DIRECTORY : \
        open missing O_RDONLY : open nodir/x O_CREAT,O_WRONLY : open f/x O_CREAT,O_WRONLY : \
        open good O_RDONLY,O_NOFOLLOW
    expect "$(L 0 0 EEXIST)" open new O_CREAT,O_EXCL,O_WRONLY 0600 : unlink new : mkdir f
}
T file_excl

# Reads at and past EOF return 0 bytes; short reads at the end; seeking
# past EOF does not change the size; writing there leaves a zero gap.
t_file_eof() {
    expect "$(L 0 10 56789 "" "" 10 "" 100 "" "10" 1 101 zero x)" \
        open f O_CREAT,O_RDWR : write 0 0123456789 : pread 0 5 100 : pread 0 10 10 : pread 0 1000000 10 : \
        lseek 0 0 END : read 0 10 : lseek 0 100 SET : read 0 10 : fstat 0 size : \
        write 0 x : fstat 0 size : zeros 0 10 90 : pread 0 100 1000
    expect "$(L 0 "")" open empty O_CREAT,O_RDONLY : read 0 100
}
T file_eof

# pread/pwrite at offsets; they do not move the file offset; holes read 0.
t_file_pread_pwrite() {
    expect "$(L 0 4 2 3 4102 0 2 'xyAA\x00\x00' '\x00\x00BB\x00\x00' '\x00\x00CCC' zero zero 2)" \
        open f O_CREAT,O_RDWR : pwrite 0 0 AAAA : pwrite 0 100 BB : pwrite 0 4099 CCC : fstat 0 size : \
        lseek 0 0 CUR : write 0 xy : pread 0 0 6 : pread 0 98 6 : pread 0 4097 10 : \
        zeros 0 6 94 : zeros 0 102 3997 : lseek 0 0 CUR
    # large pwrite at an odd offset, read back in pieces through another fd
    expect "$(L 0 0 2097159 ok ok ok zero)" \
        open g O_CREAT,O_RDWR : open g O_RDONLY : writepat 0 777 2097159 5 : \
        checkpat 1 777 2097159 5 : checkpat 1 1000000 5000 5 : checkpat 1 2097000 936 5 : zeros 1 0 777
    # overwrite a range spanning a page boundary
    expect "$(L 0 5 '\x00\x00\x00\x00\x00')" open h O_CREAT,O_RDWR : pwrite 0 4094 HELLO : pread 0 0 5
    expect "$(L 0 HELLO 4099)" open h O_RDONLY : pread 0 4094 100 : fstat 0 size
}
T file_pread_pwrite
