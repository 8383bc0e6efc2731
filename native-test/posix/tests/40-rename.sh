# rename(2) semantics.

# file over file: atomic replace; the replaced inode disappears (no leftover
# name anywhere), also when it is still open (then the fd keeps its data and
# fstat shows nlink 0); replacing one of two hard links drops the other's
# nlink at once.
t_rename_file_over_file() {
    printf 'AAA' >a && printf 'BB' >b || fail "setup"
    local ia ib
    ia=$(fsop stat a ino) ib=$(fsop stat b ino)
    expect "$(L 0 ENOENT "$ia,1,3" 0 AAA b)" rename a b : stat a : stat b ino,nlink,size : open b O_RDONLY : read 0 10 : names .
    fsop readdir . | grep -q " $ib " && fail "the replaced inode $ib is still listed"
    # replace a file that is open
    printf 'CCC' >c && printf 'DD' >d || fail "setup"
    expect "$(L 0 0 0 DD 0 CCC "b d")" open d O_RDONLY : rename c d : fstat 0 nlink : pread 0 0 10 : \
        open d O_RDONLY : read 1 10 : names .
    expect "b d" names .
    # replace one of two hard links
    printf 'E' >e && ln e e2 && printf 'F' >f || fail "setup"
    expect "$(L 2 0 1 0 F 0 E "b d e e2")" stat e2 nlink : rename f e : stat e2 nlink : open e O_RDONLY : read 0 1 : \
        open e2 O_RDONLY : read 1 1 : names .
}
T rename_file_over_file

# atomic replace as seen by another process: while one process renames
# 2000 fresh files over a name, another keeps opening and reading it and
# must never get ENOENT nor a partial file.  See c/renameloop.c.
t_rename_atomic_replace() {
    local out
    out=$("$BIN/renameloop" . 2000 2>&1) || fail "renameloop: $out"
}
T rename_atomic_replace

# directory over an empty directory: the source takes the target's place;
# the parent's link count drops by one; also across parents.
t_rename_dir_over_empty_dir() {
    mkdir s t p q q/t && touch s/file p/pf || fail "setup"
    local si pi
    si=$(fsop stat s ino) pi=$(fsop stat p ino)
    expect "$(L 6 0 ENOENT file "$si" 5 3 0 3 "dir,$pi" pf)" \
        stat . nlink : rename s t : stat s : names t : stat t ino : stat . nlink : \
        stat q nlink : rename p q/t : stat q/t/.. nlink : stat q/t type,ino : names q/t
    expect "4" stat . nlink
    expect "3" stat q nlink
}
T rename_dir_over_empty_dir

# error cases: non-empty target dir, file over dir, dir over file, dir into
# its own subtree, missing source, missing target dir, . and ..
t_rename_errors() {
    mkdir d e && touch e/x f && mkdir d/sub || fail "setup"
    local got
    got=$(fsop rename d e)
    [[ "$got" == ENOTEMPTY || "$got" == EEXIST ]] || fail "rename dir over non-empty dir: expected ENOTEMPTY or EEXIST, got $got"
    expect "$(L EISDIR ENOTDIR EINVAL EINVAL EINVAL ENOENT ENOENT ENOTDIR "d e f" sub x)" \
        rename f d : rename d f : rename d d/sub : rename d d/sub/deeper : rename d d/new : \
        rename missing x : rename f nodir/x : rename f f/x : names . : names d : names e
    got=$(fsop rename d/sub/.. x)
    [[ "$got" == EBUSY || "$got" == EINVAL ]] || fail "rename of '..': expected EBUSY or EINVAL, got $got"
}
T rename_errors

# rename to itself is a no-op; renaming one hard link onto another link of
# the same file is a no-op too (POSIX: both names stay).
t_rename_self() {
    printf 'same' >a && ln a b && mkdir d || fail "setup"
    local i di
    i=$(fsop stat a ino) di=$(fsop stat d ino)
    expect "$(L 0 "$i,2" 0 "$i,2" "$i,2" 0 "$di" "a b d")" \
        rename a a : stat a ino,nlink : rename a b : stat a ino,nlink : stat b ino,nlink : rename d d : \
        stat d ino : names .
    assert_eq "$(cat a)" same "content"
}
T rename_self

# across directories: names move, the inode and content stay, both parents'
# mtime/ctime are updated, replacing in the other directory works.
t_rename_across_dirs() {
    mkdir d1 d2 && printf 'moving' >d1/f && printf 'old' >d2/g && printf 'x' >d1/h || fail "setup"
    local i
    i=$(fsop stat d1/f ino)
    expect "$(L 0 0 0 "h" "f g" "$i" 0 "g" "h" "$i")" \
        utimensat d1 1000.0 1000.0 : utimensat d2 1000.0 1000.0 : rename d1/f d2/f : names d1 : names d2 : \
        stat d2/f ino : rename d2/f d1/h : names d2 : names d1 : stat d1/h ino
    local t
    for t in $(fsop stat d1 mtime,ctime | tr , ' ') $(fsop stat d2 mtime,ctime | tr , ' '); do
        ts_gt "$t" 1000.000000000 || fail "parent directory mtime/ctime not updated by rename ($t)"
    done
    assert_eq "$(cat d1/h)" moving "content after two renames"
}
T rename_across_dirs

# moving a directory between parents updates "..": the parents' link counts
# (2 + number of subdirectories) and the moved dir's ".." inode.
t_rename_dotdot() {
    mkdir p1 p2 p1/c p1/c/g p1/e || fail "setup"
    local i1 i2
    i1=$(fsop stat p1 ino) i2=$(fsop stat p2 ino)
    expect "$(L 4 2 "$i1" 0 3 3 "$i2" 3 "$i2" 4 0 3 2 "$i1" "$i1")" \
        stat p1 nlink : stat p2 nlink : stat p1/c/.. ino : rename p1/c p2/c : stat p1 nlink : stat p2 nlink : \
        stat p2/c/.. ino : stat p2/c nlink : stat p2/c/g/../.. ino : stat . nlink : \
        rename p2/c p1/e : stat p1 nlink : stat p2 nlink : stat p1/e/.. ino : stat p1/e/g/../.. ino
    local pi
    pi=$(fsop stat . ino)
    fsop readdir p1/e | grep -q '^\.\. [0-9]* dir$' || fail "no '..' entry in readdir of the moved dir"
    expect "$pi" stat p1/e/../.. ino
}
T rename_dotdot
