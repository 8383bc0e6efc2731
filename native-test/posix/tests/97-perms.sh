# Permissions as non-root users, switched for real with setpriv (real and
# effective uid/gid; no user namespace).  Through FUSE these need the mount
# options allow_other (other uids may use the mount at all) and
# default_permissions (the kernel checks modes, incl. supplementary groups).
# Users: 65534 (nobody), 4242 (no passwd entry); groups 65534, 4321.

# the work dir must be reachable by other users
need_reachable() {
    as $NOBODY $NOGROUP - test -x "$PWD" 2>/dev/null ||
        fail "uid $NOBODY cannot reach $PWD (a parent directory is not searchable by others, or the mount lacks allow_other)"
}

# a directory owned by nobody, mode 0700
mk_own() {
    mkdir -m 0700 "$1" && chown $NOBODY:$NOGROUP "$1" || fail "setup of $1"
}

# a user can create in its own 0700 dir; new files and dirs get the
# caller's uid/gid; another user's 0700 dir refuses everything (EACCES).
t_perm_owner_dir() {
    need_reachable
    mk_own own
    mkdir -m 0700 priv && printf 'secret' >priv/secret || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L 0 4 65534,65534,0644 0 65534,65534,0755 0 0 mine 0)" \
        open own/f O_CREAT,O_WRONLY 0644 : write 0 mine : stat own/f uid,gid,mode : mkdir own/sub 0755 : \
        stat own/sub uid,gid,mode : rename own/f own/sub/g : open own/sub/g O_RDONLY : read 1 10 : \
        access own R_OK,W_OK,X_OK
    expect_as $NOBODY $NOGROUP - "$(L EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES)" \
        names priv : stat priv/secret : open priv/secret O_RDONLY : open priv/new O_CREAT,O_WRONLY : \
        mkdir priv/x : chdir priv : access priv X_OK : rename own/sub/g priv/g : open notmine O_CREAT,O_WRONLY : \
        unlink own/../priv/secret
    # the new file's group is the caller's (primary) gid
    expect_as $NOBODY $OTHER_GID - "$(L 0 65534,4321)" open own/h O_CREAT,O_WRONLY : stat own/h uid,gid
    # nobody's 0700 dir is closed to another unprivileged user too
    expect_as $OTHER_UID $OTHER_UID - "$(L EACCES EACCES)" names own : stat own/h
    expect "h sub" names own
    expect "secret" names priv
}
T perm_owner_dir

# a 0444 file cannot be opened for writing (nor truncated, nor get xattrs)
# by its non-root owner; the owner may chmod it and then write; root may
# write anyway; owner/group/other classes are exclusive; supplementary
# groups count; the execute bit is honoured.
t_perm_file_modes() {
    need_reachable
    mk_own own
    printf 'x' >own/ro && chown $NOBODY:$NOGROUP own/ro && chmod 0444 own/ro || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L EACCES EACCES EACCES EACCES EACCES 0 x 0 0 0 1)" \
        open own/ro O_WRONLY : open own/ro O_RDWR : open own/ro O_WRONLY,O_TRUNC : truncate own/ro 0 : \
        setxattr own/ro user.a v : open own/ro O_RDONLY : read 0 10 : utimensat own/ro NOW NOW : \
        chmod own/ro 0644 : open own/ro O_WRONLY : write 1 y
    chmod 0444 own/ro && expect "$(L 0 1)" open own/ro O_WRONLY : write 0 z
    # root's files: 0644 not writable by others, 0666 writable
    printf 'r' >r644 && chmod 0644 r644 && printf 'r' >r666 && chmod 0666 r666 || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L EACCES 0 0 0 1)" open r644 O_WRONLY : open r644 O_RDONLY : \
        open r666 O_WRONLY : open r666 O_RDONLY : write 1 w
    # owner class wins even when "other" would allow
    printf 'o' >own/o77 && chown $NOBODY:$NOGROUP own/o77 && chmod 0077 own/o77 && chmod 0755 own || fail "setup"
    expect_as $NOBODY $NOGROUP - "EACCES" open own/o77 O_RDONLY
    expect_as $OTHER_UID $OTHER_UID - "$(L 0 o)" open own/o77 O_RDONLY : read 0 10
    # group class, incl. supplementary groups
    printf 'g' >g640 && chown 0:$OTHER_GID g640 && chmod 0640 g640 || fail "setup"
    expect_as $NOBODY $NOGROUP - "EACCES" open g640 O_RDONLY
    expect_as $NOBODY $NOGROUP $OTHER_GID "$(L 0 g)" open g640 O_RDONLY : read 0 10
    expect_as $NOBODY $OTHER_GID - "$(L 0 g EACCES)" open g640 O_RDONLY : read 0 10 : open g640 O_WRONLY
    # execute permission
    printf '#!/bin/sh\necho ran\n' >script && chmod 0755 script && cp script noexec && chmod 0744 noexec || fail "setup"
    # (through sh: setpriv itself still holds root's capabilities at its execve)
    assert_eq "$(as $NOBODY $NOGROUP - /bin/sh -c ./script 2>&1)" ran "running a 0755 script as nobody"
    as $NOBODY $NOGROUP - /bin/sh -c ./noexec >/dev/null 2>&1 && fail "nobody could execute a 0744 root script"
    return 0
}
T perm_file_modes

# chown/chgrp/chmod/utimensat rules for non-owners and non-members.
t_perm_chown() {
    need_reachable
    mk_own own
    touch own/f && chown $NOBODY:$NOGROUP own/f || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L EPERM EPERM 0 EPERM 0 65534,65534)" \
        chown own/f 0 -1 : chown own/f $OTHER_UID -1 : chown own/f $NOBODY -1 : chown own/f -1 $OTHER_GID : \
        chown own/f -1 $NOGROUP : stat own/f uid,gid
    expect_as $NOBODY $NOGROUP $OTHER_GID "$(L 0 65534,4321)" chown own/f -1 $OTHER_GID : stat own/f uid,gid
    # chmod g+s by an owner outside the file's group: S_ISGID is dropped
    chown $NOBODY:$OTHER_GID own/f || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L 0 0755 0 4755)" chmod own/f 02755 : stat own/f mode : chmod own/f 04755 : stat own/f mode
    # another user's file
    touch rf && chmod 0666 rf && touch rf2 && chmod 0644 rf2 || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L EPERM EPERM EPERM 0 EACCES EACCES EPERM)" \
        chmod rf 0777 : utimensat rf 1.0 1.0 : chown rf $NOBODY -1 : utimensat rf NOW NOW : utimensat rf2 NOW NOW : \
        setxattr rf2 user.x y : utimensat rf2 OMIT 5.0
    expect "0666" stat rf mode
}
T perm_chown

# writing to or truncating a setuid file as a non-root user clears S_ISUID
# (root keeps it: CAP_FSETID).
t_perm_suid_cleared() {
    need_reachable
    mk_own own
    printf 'data' >own/x && chown $NOBODY:$NOGROUP own/x && chmod 04755 own/x || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L 0 4755 1 0755 0 4755 0 0755)" open own/x O_WRONLY : fstat 0 mode : \
        write 0 X : stat own/x mode : chmod own/x 04755 : stat own/x mode : truncate own/x 2 : stat own/x mode
    chmod 04755 own/x || fail chmod
    expect "$(L 0 1 4755)" open own/x O_WRONLY : write 0 R : stat own/x mode
}
T perm_suid_cleared

# the rest of Linux's privilege rules (tierfs applies them itself: the kernel only flags the
# request): an unprivileged write drops a group-executable set-group-ID too, also through O_DIRECT,
# and a set-group-ID without group execute (a locking mark) when the writer is outside the file's
# group; so does an unprivileged fallocate; a chown, even by root, drops set-user-ID and a
# group-executable set-group-ID but keeps root's locking mark; chown(f, -1, -1) by the owner drops
# set-user-ID; file capabilities go with any write (also O_DIRECT, also root's) and a chown.
CAP_NET_RAW_XATTR=0x0100000200200000000000000000000000000000
# has_caps FILE: its security.capability, as set above (fails on "no such attribute" and on errors alike,
# so callers check both states explicitly)
has_caps() { [[ "$(getfattr -n security.capability -e hex "$1" 2>/dev/null)" == *"=$CAP_NET_RAW_XATTR" ]]; }
no_caps() { [[ "$(getfattr -n security.capability "$1" 2>&1)" == *"No such attribute"* ]]; }
t_perm_privileges_dropped() {
    need_reachable
    mk_own own
    printf 'data' >own/g && chown $NOBODY:$NOGROUP own/g && chmod 06775 own/g || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L 0 1 0775)" open own/g O_WRONLY : write 0 X : stat own/g mode
    head -c 4096 /dev/zero >own/d && chown $NOBODY:$NOGROUP own/d && chmod 06775 own/d || fail "setup"
    must as $NOBODY $NOGROUP - dd if=/dev/zero of=own/d bs=4096 count=1 oflag=direct conv=notrunc status=none
    expect "0775" stat own/d mode
    printf 'm' >own/m && chown $NOBODY:0 own/m && chmod 02767 own/m || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L 0 1 0767)" open own/m O_WRONLY : write 0 X : stat own/m mode
    printf 'k' >own/k && chown $NOBODY:$NOGROUP own/k && chmod 02767 own/k || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L 0 1 2767)" open own/k O_WRONLY : write 0 X : stat own/k mode
    printf 'f' >own/f && chown $NOBODY:$NOGROUP own/f && chmod 06777 own/f || fail "setup"
    must as $NOBODY $NOGROUP - fallocate -l 65536 own/f
    expect "0777" stat own/f mode
    printf 'c' >c && chmod 06755 c && chown 1:1 c || fail "setup"
    printf 'c' >c2 && chmod 02745 c2 && chown 1 c2 || fail "setup"
    printf 'c' >own/c3 && chown $NOBODY:$NOGROUP own/c3 && chmod 06755 own/c3 || fail "setup"
    expect "$(L 0755 2745)" stat c mode : stat c2 mode
    expect_as $NOBODY $NOGROUP - "$(L 0 0755)" chown own/c3 -1 -1 : stat own/c3 mode
    # root updating a set-user-ID program with capabilities in place: the capabilities go, the bit stays
    printf 'p' >prog && chmod 04755 prog && setfattr -n security.capability -v $CAP_NET_RAW_XATTR prog &&
        has_caps prog || fail "setup"
    printf 'q' >>prog || fail "root's append"
    expect "4755" stat prog mode
    no_caps prog || fail "root's write kept the capabilities"
    head -c 4096 /dev/zero >capd && setfattr -n security.capability -v $CAP_NET_RAW_XATTR capd && has_caps capd ||
        fail "setup"
    must dd if=/dev/zero of=capd bs=4096 count=1 oflag=direct conv=notrunc status=none
    no_caps capd || fail "an O_DIRECT write by root kept the capabilities"
    for f in own/capw capc; do
        printf 'x' >$f && chmod 0777 $f && setfattr -n security.capability -v $CAP_NET_RAW_XATTR $f || fail "setup"
        has_caps $f || fail "security.capability did not stick on $f"
    done
    must as $NOBODY $NOGROUP - sh -c 'printf y >>own/capw'
    chown 5 capc || fail "chown"
    for f in own/capw capc; do
        no_caps $f || fail "$f kept its capabilities"
    done
}
T perm_privileges_dropped

# sticky directory: only the owner (of file or dir) may remove or rename.
t_perm_sticky() {
    need_reachable
    mkdir -m 1777 st && touch st/rootfile || fail "setup"
    expect_as $OTHER_UID $OTHER_UID - "0" open st/other O_CREAT,O_WRONLY
    expect_as $NOBODY $NOGROUP - "$(L EPERM EPERM EPERM 0 0 0 0)" unlink st/rootfile : rename st/rootfile st/x : \
        unlink st/other : open st/mine O_CREAT,O_WRONLY : rename st/mine st/mine2 : unlink st/mine2 : close 0
    expect "other rootfile" names st
}
T perm_sticky

# a setgid directory passes its group (and, to subdirectories, S_ISGID) on
# to new entries, whoever creates them.  Through FUSE this is the file
# system's job: the kernel sends the caller's gid.
t_perm_setgid_dir() {
    need_reachable
    mkdir sg && chown 0:$OTHER_GID sg && chmod 2777 sg || fail "setup"
    expect_as $NOBODY $NOGROUP - "$(L 0 65534,4321 0 65534,4321,2755 0 65534,4321)" \
        open sg/f O_CREAT,O_WRONLY : stat sg/f uid,gid : mkdir sg/sub 0755 : stat sg/sub uid,gid,mode : \
        open sg/sub/g O_CREAT,O_WRONLY : stat sg/sub/g uid,gid
    expect "$(L 0 0,4321)" open sg/r O_CREAT,O_WRONLY : stat sg/r uid,gid
}
T perm_setgid_dir

# the caller's umask applies to new files and directories
t_perm_umask() {
    need_reachable
    mk_own own
    expect_as $NOBODY $NOGROUP - "$(L 0 0 0640 0 0750 0 0 0666 0 0777)" umask 027 : open own/f O_CREAT,O_WRONLY 0666 : \
        stat own/f mode : mkdir own/d 0777 : stat own/d mode : umask 0 : open own/g O_CREAT,O_WRONLY 0666 : \
        stat own/g mode : mkdir own/e 0777 : stat own/e mode
}
T perm_umask
