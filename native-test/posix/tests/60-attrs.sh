# chmod, chown, utimensat (nanoseconds, UTIME_NOW, UTIME_OMIT), ctime.

# exact mode bits (incl. setuid/setgid/sticky) via chmod and fchmod, on
# files and directories, through a symlink (follows).
t_chmod() {
    touch f && mkdir d && ln -s f l || fail "setup"
    local m
    for m in 0000 0644 0755 0777 0600 0444 4755 2755 6755 1777 0001; do
        expect "$(L 0 "$m" 0 "reg,$m")" chmod f "$m" : stat f mode : open f O_RDONLY : fstat 0 type,mode
        expect "$(L 0 "dir,$m")" chmod d "$m" : stat d type,mode
    done
    expect "$(L 0 0 0640 0 0604 0604 lnk,0777 ENOENT)" open f O_RDONLY : fchmod 0 0640 : stat f mode : \
        chmod l 0604 : stat f mode : stat l mode : lstat l type,mode : chmod missing 0644
}
T chmod

# chown to other uids/gids as root; -1 leaves a field alone; lchown changes
# the symlink, chown follows it; fchown; a chown clears setuid/setgid on an
# executable file (Linux does this even for root).
t_chown() {
    touch f && mkdir d && ln -s f l || fail "setup"
    expect "$(L 0 12345,23456 0 12345,34567 0 0,34567 0 111,222 0,34567 0 7,8 0 0 9,10 0 65534,65534)" \
        chown f 12345 23456 : stat f uid,gid : chown f -1 34567 : stat f uid,gid : chown f 0 -1 : stat f uid,gid : \
        lchown l 111 222 : lstat l uid,gid : stat f uid,gid : chown l 7 8 : stat f uid,gid : \
        open f O_RDONLY : fchown 0 9 10 : fstat 0 uid,gid : chown d 65534 65534 : stat d uid,gid
    expect "$(L 0 6755 0 0755 0 2755 0 2755 0 1777)" chmod f 6755 : stat f mode : chown f 1000 1000 : stat f mode : \
        chmod d 2755 : stat d mode : chown d 1000 1000 : stat d mode : chmod d 1777 : stat d mode
}
T chown

# utimensat with nanosecond precision, UTIME_OMIT, UTIME_NOW, NULL times,
# futimens, symlinks (AT_SYMLINK_NOFOLLOW), directories, far future, 0.
t_utimens() {
    touch f && mkdir d && ln -s f l || fail "setup"
    expect "$(L 0 1000000000.123456789,1500000000.987654321 0 1000000000.123456789,1600000000.000000001 \
        0 1700000000.999999999,1600000000.000000001 0 4102444800.500000000,0.000000000 \
        0 1.000000001,2.000000002 0 3.000000003,4.000000004 4102444800.500000000,0.000000000 \
        0 0 5.000000005,6.000000006 EINVAL)" \
        utimensat f 1000000000.123456789 1500000000.987654321 : stat f atime,mtime : \
        utimensat f OMIT 1600000000.000000001 : stat f atime,mtime : \
        utimensat f 1700000000.999999999 OMIT : stat f atime,mtime : \
        utimensat f 4102444800.5 0.0 : stat f atime,mtime : \
        utimensat d 1.000000001 2.000000002 : stat d atime,mtime : \
        utimensat l 3.000000003 4.000000004 NOFOLLOW : lstat l atime,mtime : stat f atime,mtime : \
        open f O_RDWR : futimens 0 5.000000005 6.000000006 : fstat 0 atime,mtime : utimensat f 1.0 1@1000000000
    # UTIME_NOW and NULL: close to the clock, and ctime moves too
    local out l
    out=$(fsop now : utimensat f 1000.0 1000.0 : sleep 20 : utimensat f NOW NOW : stat f atime,mtime,ctime : \
        utimensat f 1000.0 1000.0 : utimensat_null f : stat f atime,mtime : utimensat f 1000.0 1000.0 : \
        utimensat f NOW OMIT : stat f atime,mtime : now)
    mapfile -t l <<<"$out"
    ((${#l[@]} == 12)) || fail "unexpected output $(short "$out")"
    local before=${l[0]} after=${l[11]} t x
    IFS=, read -ra t <<<"${l[4]}"
    for x in "${t[@]}"; do
        [[ $(ts_cmp "$x" "$before") != -1 && $(ts_cmp "$x" "$after") != 1 ]] ||
            fail "UTIME_NOW gave $x, not between $before and $after (atime,mtime,ctime = ${l[4]})"
    done
    IFS=, read -ra t <<<"${l[7]}"
    for x in "${t[@]}"; do
        [[ $(ts_cmp "$x" "$before") != -1 && $(ts_cmp "$x" "$after") != 1 ]] || fail "utimensat(NULL) gave $x"
    done
    assert_eq "${l[10]#*,}" "1000.000000000" "mtime after utimensat(NOW, OMIT)"
    x=${l[10]%,*}
    [[ $(ts_cmp "$x" "$before") != -1 && $(ts_cmp "$x" "$after") != 1 ]] || fail "atime after utimensat(NOW, OMIT) is $x"
}
T utimens

# ctime_bumps DESCRIPTION PATH FSOP-CHAIN...: the chain must change PATH's
# ctime; PATH may be OLD>NEW when the chain renames it
ctime_bumps() {
    local what=$1 p=$2
    shift 2
    local c0 c1 out
    c0=$(fsop lstat "${p%>*}" ctime)
    p=${p#*>}
    sleep 0.02
    out=$(fsop "$@")
    [[ "$out" == *E[A-Z]* ]] && fail "$what: $(short "$out")"
    c1=$(fsop lstat "$p" ctime)
    ts_gt "$c1" "$c0" || fail "ctime of $p not changed by $what ($c0 -> $c1)"
}

# mtime_bumps: the same for mtime
mtime_bumps() {
    local what=$1 p=$2
    shift 2
    local m0 m1 out
    m0=$(fsop lstat "$p" mtime)
    sleep 0.02
    out=$(fsop "$@")
    [[ "$out" == *E[A-Z]* ]] && fail "$what: $(short "$out")"
    m1=$(fsop lstat "$p" mtime)
    ts_gt "$m1" "$m0" || fail "mtime of $p not changed by $what ($m0 -> $m1)"
}

# ctime changes on chmod, chown, link, unlink of another link, rename,
# write, truncate, setxattr; directory mtime+ctime on entry changes.
t_ctime_changes() {
    printf 'x' >f && mkdir d || fail "setup"
    ctime_bumps chmod f chmod f 0600
    ctime_bumps chown f chown f 123 456
    ctime_bumps "utimensat" f utimensat f 5.0 5.0
    ctime_bumps link f link f f2
    ctime_bumps "unlink of another link" f unlink f2
    ctime_bumps rename "f>g" rename f g
    ctime_bumps write g open g O_WRONLY : write 0 abc
    mtime_bumps write g open g O_WRONLY : write 0 abc
    ctime_bumps truncate g truncate g 1
    mtime_bumps truncate g truncate g 100
    ctime_bumps ftruncate g open g O_WRONLY : ftruncate 0 5000
    ctime_bumps setxattr g setxattr g user.t v
    ctime_bumps "create in dir" d open d/new O_CREAT,O_WRONLY
    mtime_bumps "create in dir" d open d/new2 O_CREAT,O_WRONLY
    ctime_bumps "mkdir in dir" d mkdir d/sub
    mtime_bumps "rename in dir" d rename d/new d/new3
    mtime_bumps "unlink in dir" d unlink d/new3
    ctime_bumps "rmdir in dir" d rmdir d/sub
    ctime_bumps "rename of dir" "d>d2" rename d d2
    # reading does not change mtime or ctime
    local before after
    before=$(fsop stat g mtime,ctime)
    sleep 0.02
    cat g >/dev/null
    after=$(fsop stat g mtime,ctime)
    assert_eq "$after" "$before" "mtime,ctime after a read"
}
T ctime_changes
