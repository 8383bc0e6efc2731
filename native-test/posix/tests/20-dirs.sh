# Directories: mkdir/rmdir, ENOTEMPTY, readdir completeness with d_ino and
# d_type, nested trees, a copied source tree, 100,000 entries, NAME_MAX.

# mkdir/rmdir, modes (umask applied, sticky kept), link counts of the new
# directory and of its parent, and the usual errors.
t_dir_mkdir_rmdir() {
    expect "$(L 2 0 0 dir,0755,2 3 EEXIST 0 3 0700 ENOTEMPTY 0 2 0 ENOENT 2 ENOENT)" \
        stat . nlink : umask 022 : mkdir d 0777 : stat d type,mode,nlink : stat . nlink : mkdir d 0755 : \
        mkdir d/e 0700 : stat d nlink : stat d/e mode : rmdir d : rmdir d/e : stat d nlink : rmdir d : \
        stat d : stat . nlink : mkdir x/y
    touch f || fail "touch"
    expect "$(L ENOTDIR 0 EISDIR 0 ENOTDIR EINVAL ENOENT 0 0 1777 0 0 0700 0 0)" \
        rmdir f : mkdir dd : unlink dd : rmdir dd : mkdir f/x : rmdir . : rmdir nonexistent : \
        umask 0 : mkdir s 01777 : stat s mode : rmdir s : mkdir p 0700 : stat p mode : rmdir p : unlink f
    expect "$(L 0 0)" umask 077 : mkdir q 0777
    expect "0700" stat q mode
}
T dir_mkdir_rmdir

# rmdir of a non-empty directory fails with ENOTEMPTY whatever it contains.
t_dir_rmdir_notempty() {
    mkdir a b c d && touch a/file && mkdir b/sub && touch c/.hidden && ln -s nowhere d/link || fail "setup"
    expect "$(L ENOTEMPTY ENOTEMPTY ENOTEMPTY ENOTEMPTY 0 0 0 0 0 0 0 0 - )" \
        rmdir a : rmdir b : rmdir c : rmdir d : unlink a/file : rmdir b/sub : unlink c/.hidden : unlink d/link : \
        rmdir a : rmdir b : rmdir c : rmdir d : names .
}
T dir_rmdir_notempty

# readdir returns exactly ".", ".." and every name, each with d_ino equal to
# the entry's st_ino (except "..": not checked) and the right d_type; new and
# removed entries show up at once.
t_dir_readdir() {
    touch f .hidden "with space" "ütf-8 ✓" && mkdir d && ln -s f l && ln f hard || fail "setup"
    local got exp="" n ino ty
    got=$(fsop readdir . | grep -v '^\.\. ')
    for n in . .hidden d f hard l "with space" "ütf-8 ✓"; do
        ino=$(fsop lstat "$n" ino) && ty=$(fsop lstat "$n" type) || fail "lstat $n"
        exp+="$n $ino $ty"$'\n'
    done
    exp=$(printf '%s' "$exp" | sort)
    assert_eq "$got" "$exp" "readdir (name d_ino d_type)"
    fsop readdir . | grep -q '^\.\. [0-9]* dir$' || fail "readdir has no '..' entry of type dir"
    # no stale listing after create/unlink/rename
    expect "$(L ".hidden d f hard l with space ütf-8 ✓" 0 ".hidden d f hard l new with space ütf-8 ✓" 0 \
        ".hidden d f hard l renamed with space ütf-8 ✓" 0 ".hidden d f hard l with space ütf-8 ✓")" \
        names . : open new O_CREAT,O_WRONLY : names . : rename new renamed : names . : unlink renamed : names .
    # a directory listed through an open fd after changes (rewinddir-like: a new opendir)
    expect "$(L - 0 0 "a b")" names d : mkdir d/a : mkdir d/b : names d
}
T dir_readdir

# a 30-level nested tree with a file at every level
t_dir_nested() {
    local p=. i
    for ((i = 1; i <= 30; i++)); do
        p="$p/level-$i"
        mkdir "$p" || fail "mkdir $p"
        printf '%s\n' "$p" >"$p/file" || fail "write $p/file"
    done
    assert_eq "$(find . -type d | wc -l)" 31 "number of directories"
    assert_eq "$(find . -type f | wc -l)" 30 "number of files"
    p=.
    for ((i = 1; i <= 30; i++)); do
        p="$p/level-$i"
        assert_eq "$(cat "$p/file")" "$p" "content of $p/file"
        assert_eq "$(stat -c %h "$p")" $((i == 30 ? 2 : 3)) "nlink of $p"
    done
    rm -rf level-1 || fail "rm -rf"
    expect "-" names .
}
T dir_nested

# cp -a a real source tree in: diff -r, and the metadata cp -a preserves
# (type, mode, size, mtime to the nanosecond, symlink targets).
t_dir_copy_tree() {
    local src=/usr/include/linux
    [[ -d $src ]] || fail "$src missing"
    must cp -a "$src" x
    diff -r "$src" x >"$T/diff" 2>&1 || fail "diff -r: $(head -n 3 "$T/diff" | tr '\n' ' ')"
    # a directory's st_size is the filesystem's own business (ext4 4096, tmpfs, btrfs differ): masked
    (cd "$src" && find . -printf '%P|%y|%m|%s|%T@|%l\n' | sed 's/^\([^|]*|d|[^|]*\)|[0-9]*|/\1|-|/' | sort) >"$T/a"
    (cd x && find . -printf '%P|%y|%m|%s|%T@|%l\n' | sed 's/^\([^|]*|d|[^|]*\)|[0-9]*|/\1|-|/' | sort) >"$T/b"
    diff "$T/a" "$T/b" >"$T/diff" || fail "metadata after cp -a differs: $(grep '^>' "$T/diff" | head -n 2 | tr '\n' ' ')"
    # and a second copy out of the mount again
    must cp -a x "$T/back"
    diff -r x "$T/back" >/dev/null || fail "copy back out differs"
    must rm -rf x
    expect "-" names .
}
T dir_copy_tree

# 100,000 entries in one directory: create, list all (each once, d_type,
# d_ino), remove while listing (rm -rf style), rmdir.  See c/bigdir.c.
# POSIX_BIGDIR_N overrides the count for quick runs (100000 is the spec).
t_dir_100k() {
    local out
    out=$("$BIN/bigdir" big "${POSIX_BIGDIR_N:-100000}" 2>&1) || fail "bigdir: $out"
    expect "-" names .
}
T dir_100k

# names of exactly 255 bytes work everywhere, 256 bytes give ENAMETOOLONG;
# also with 3-byte UTF-8 characters; a path over PATH_MAX is refused.
t_name_max() {
    local n255 n256 u255 u258 long
    n255=$(printf 'n%.0s' {1..255})
    n256=$(printf 'n%.0s' {1..256})
    u255=$(printf '€%.0s' {1..85})
    u258=$(printf '€%.0s' {1..86})
    assert_eq "$(printf '%s' "$u255" | wc -c)" 255 "length of the UTF-8 name"
    expect "$(L 0 3 reg,3 "$n255" 0 0 0 abc 0 dir 0 0 lnk 0 0 0 -)" \
        open "$n255" O_CREAT,O_WRONLY : write 0 abc : stat "$n255" type,size : names . : \
        rename "$n255" short : rename short "$n255" : open "$n255" O_RDONLY : read 1 10 : \
        mkdir "d${n255:1}" : stat "d${n255:1}" type : rmdir "d${n255:1}" : symlink "$n255" "l${n255:1}" : \
        lstat "l${n255:1}" type : unlink "l${n255:1}" : unlink "$n255" : close 0 : names .
    touch f || fail touch
    expect "$(L ENAMETOOLONG ENAMETOOLONG ENAMETOOLONG ENAMETOOLONG ENAMETOOLONG ENAMETOOLONG ENAMETOOLONG ENAMETOOLONG "f")" \
        open "$n256" O_CREAT,O_WRONLY : mkdir "$n256" : symlink f "$n256" : link f "$n256" : \
        rename f "$n256" : stat "$n256" : setxattr "$n256" user.x y : mkfifo "$n256" : names .
    expect "$(L 0 reg 0 ENAMETOOLONG)" open "$u255" O_CREAT,O_WRONLY : stat "$u255" type : unlink "$u255" : open "$u258" O_CREAT,O_WRONLY
    long=$(printf 'd/%.0s' {1..2100})
    expect "ENAMETOOLONG" stat "$long"
}
T name_max
