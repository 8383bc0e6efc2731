# Symbolic links, hard links, st_ino stability.

# symlink/readlink, stat vs lstat, long and absolute targets, errors.
t_symlink_basic() {
    local long target_ino
    long=$(printf 'component-%04d/%.0s' $(seq 1 70))  # 1050 bytes
    long=${long%/}
    expect "$(L 0 4 0 f lnk,1 0777 EINVAL EEXIST 0 ELOOP)" \
        open f O_CREAT,O_WRONLY : write 0 data : symlink f l : readlink l : lstat l type,size : \
        lstat l mode : readlink f : symlink x l : \
        open l O_RDONLY : open l O_RDONLY,O_NOFOLLOW
    # the open of l above printed 0 and is fd 1; check through a fresh chain
    expect "$(L 0 data)" open l O_RDONLY : read 0 10
    target_ino=$(fsop stat f ino)
    expect "reg,$target_ino,4" stat l type,ino,size
    expect "$(L 0 "$long" "lnk,${#long}")" symlink "$long" long : readlink long : lstat long type,size
    expect "$(L 0 "$PWD/f" 0 data)" symlink "$PWD/f" abs : readlink abs : open abs O_RDONLY : read 0 10
    # writing through the link changes the target
    printf 'new' >l || fail "write via symlink"
    assert_eq "$(cat f)" new "target content after writing via the link"
    expect "lnk" lstat l type
}
T symlink_basic

# dangling symlinks: stat ENOENT, lstat works; O_CREAT|O_EXCL -> EEXIST;
# O_CREAT alone creates the target (Linux follows the link).
t_symlink_dangling() {
    expect "$(L 0 ENOENT lnk nowhere EEXIST ENOENT 0 reg reg 0 reg ENOENT)" \
        symlink nowhere dl : stat dl : lstat dl type : readlink dl : \
        open dl O_CREAT,O_EXCL,O_WRONLY : stat nowhere : open dl O_CREAT,O_WRONLY : \
        stat nowhere type : stat dl type : unlink dl : stat nowhere type : lstat dl
    expect "$(L 0 ENOENT 0 lnk)" symlink sub/missing d2 : open d2 O_CREAT,O_WRONLY : mkdir other : lstat d2 type
}
T symlink_dangling

# symlinks to directories: traversal, chains, relative "..", loops.
t_symlink_dir() {
    mkdir d && printf 'inside' >d/file || fail "setup"
    expect "$(L 0 0 dir lnk file file 0 inside 0 inside 0 dir ENOTDIR 0 0 ELOOP 0 0 0 inside)" \
        symlink d ld : symlink ld ld2 : stat ld type : lstat ld type : names ld : names ld2/ : \
        open ld/file O_RDONLY : read 0 100 : open ld2/file O_RDONLY : read 1 100 : \
        mkdir ld/sub : stat d/sub type : rmdir ld : symlink loop2 loop1 : symlink loop1 loop2 : stat loop1/x : \
        mkdir e : symlink ../d e/up : open e/up/file O_RDONLY : read 2 100
    assert_eq "$(cd ld && pwd -P)" "$PWD/d" "pwd -P inside a symlinked dir"
    expect "ELOOP" open loop1 O_RDONLY
    expect "$(L 0 ENOENT)" unlink ld : stat ld
    expect "dir" stat d type
}
T symlink_dir

# link counts through every name, immediately (no sleep), also through an
# open fd; the same st_ino through every name.
t_hardlink_nlink() {
    printf 'hello' >a || fail "create"
    local i
    i=$(fsop stat a ino)
    mkdir d || fail mkdir
    expect "$(L 0 1 0 "2,$i" "2,$i" 2 "2,$i" "2,$i" 0 "3,$i" "3,$i" "3,$i" 3 0 "2,$i" "2,$i" 2 ENOENT 0 1 1 hello 0 0 ENOENT 0 0 0 3 3 3)" \
        open a O_RDONLY : stat a nlink : link a b : stat a nlink,ino : stat b nlink,ino : fstat 0 nlink : \
        stat a nlink,ino : stat b nlink,ino : link b d/c : stat a nlink,ino : stat b nlink,ino : stat d/c nlink,ino : \
        fstat 0 nlink : unlink a : stat b nlink,ino : stat d/c nlink,ino : fstat 0 nlink : stat a : \
        unlink b : stat d/c nlink : fstat 0 nlink : pread 0 0 10 : unlink d/c : fstat 0 nlink : stat d/c : \
        open e O_CREAT,O_WRONLY : link e f : link f g : stat e nlink : stat f nlink : stat g nlink
    expect "$(L - "d e f g")" names d : names .
}
T hardlink_nlink

# chmod/chown/utimensat via one name visible via the other at once (mode,
# owner, times, ctime identical through both names, ctime increased).
t_hardlink_attrs() {
    printf 'x' >a && ln a b || fail "setup"
    local out c0 l
    out=$(fsop stat a mode,ctime : stat b mode,ctime : sleep 30 : chmod a 0600 : stat b mode,ctime : stat a mode,ctime : \
        sleep 30 : chown b 1234 5678 : stat a uid,gid,ctime : stat b uid,gid,ctime : \
        utimensat b 1000.5 2000.6 : stat a atime,mtime : stat b atime,mtime)
    mapfile -t l <<<"$out"
    ((${#l[@]} == 13)) || fail "unexpected output: $(short "$out")"
    assert_eq "${l[0]}" "${l[1]}" "mode,ctime via a vs via b before chmod"
    c0=${l[0]#*,}
    assert_eq "${l[3]}" "0" "chmod"
    assert_eq "${l[4]%,*}" "0600" "mode via b right after chmod via a"
    assert_eq "${l[4]}" "${l[5]}" "mode,ctime via b vs via a after chmod"
    ts_gt "${l[4]#*,}" "$c0" || fail "ctime via b did not increase after chmod via a (${l[4]#*,} vs $c0)"
    assert_eq "${l[8]%,*}" "1234,5678" "owner via a right after chown via b"
    assert_eq "${l[8]}" "${l[9]}" "uid,gid,ctime via a vs via b after chown"
    ts_gt "${l[8]##*,}" "${l[4]#*,}" || fail "ctime via a did not increase after chown via b"
    assert_eq "${l[11]}" "1000.500000000,2000.600000000" "atime,mtime via a after utimensat via b"
    assert_eq "${l[12]}" "1000.500000000,2000.600000000" "atime,mtime via b after utimensat via b"
}
T hardlink_attrs

# data written via one name is read via the other, also while both are open.
t_hardlink_data() {
    expect "$(L 0 0 0 5 hello 6 "hello world" 11 11 0 5 hello 0 0 0 1 0)" \
        open a O_CREAT,O_RDWR : link a b : open b O_RDWR : write 0 hello : pread 1 0 100 : \
        pwrite 1 5 " world" : pread 0 0 100 : fstat 0 size : fstat 1 size : ftruncate 1 5 : fstat 0 size : \
        pread 0 0 100 : close 0 : close 1 : open b O_WRONLY,O_APPEND : write 2 '!' : close 2
    assert_eq "$(cat a)" "hello!" "content via a after append via b"
    expect "$(L 0 0 1048576 ok 0 1 ok)" open a O_RDWR : open b O_RDWR : writepat 0 0 1m 3 : checkpat 1 0 1m 3 : \
        close 0 : write 1 X : checkpat 1 1 1048575 3
    expect "$(L 0 X)" open a O_RDONLY : read 0 1
}
T hardlink_data

# link() errors: directory -> EPERM, existing target -> EEXIST, missing
# source -> ENOENT; a hard link to a symlink links the symlink itself.
t_hardlink_errors() {
    mkdir d && touch f && ln -s f sl || fail "setup"
    expect "$(L EPERM ENOENT EEXIST EEXIST EEXIST ENOENT 0 lnk,2 reg,1 f)" \
        link d d2 : link missing x : link f f : link f sl : link f d : link f nodir/x : \
        link sl sl2 : lstat sl2 type,nlink : stat sl2 type,nlink : readlink sl2
    expect "d f sl sl2" names .
}
T hardlink_errors

# st_ino stays the same through renames (same dir, across dirs, of a
# directory, of files inside a renamed directory); inode numbers are unique.
t_ino_rename() {
    mkdir d1 d2 d1/sub && printf 'content' >f && printf 'x' >d1/sub/x && ln f hl || fail "setup"
    local fi si xi di
    fi=$(fsop stat f ino) si=$(fsop stat d1/sub ino) xi=$(fsop stat d1/sub/x ino) di=$(fsop stat d1 ino)
    expect "$(L 0 "$fi" 0 "$fi" 0 "$fi" "$fi" 0 0 "$si" "$xi" 0 "$di" "$si" "$xi" 0 "$fi")" \
        rename f g : stat g ino : rename g d1/g : stat d1/g ino : rename d1/g d2/h : stat d2/h ino : stat hl ino : \
        rename d1/sub d2/sub2 : rename d2/sub2 d1/sub : stat d1/sub ino : stat d1/sub/x ino : rename d1 d3 : stat d3 ino : \
        stat d3/sub ino : stat d3/sub/x ino : rename hl d3/hl : stat d3/hl ino
    assert_eq "$(cat d2/h)" content "content after renames"
    local n u
    n=$(find . | wc -l)
    u=$(find . ! -name hl -printf '%i\n' | sort -u | wc -l)
    assert_eq "$u" "$((n - 1))" "distinct inode numbers (hard link excluded)"
}
T ino_rename
