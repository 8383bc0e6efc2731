#!/bin/bash
# POSIX conformance suite for a mounted file system.  See README.md.
#
#   run.sh [-v] [--only REGEX] [--skip REGEX] DIR   run the tests inside DIR
#   run.sh --list                                   list the test names
#   run.sh --populate DIR                           build a sample tree in DIR
#   run.sh --record-inodes DIR FILE                 record inode numbers, metadata
#                                                   and content checksums of DIR
#   run.sh --check-inodes DIR FILE                  compare DIR against FILE
#
# Output: one line per test, "PASS name" or "FAIL name: reason", then a
# line "N passed, N failed"; the exit status is non-zero if any failed.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/run.sh"
. "$HERE/lib.sh"
for f in "$HERE"/tests/*.sh; do
    . "$f"
done

TEST_TIMEOUT=${POSIX_TEST_TIMEOUT:-300}

die_setup() {
    echo "FAIL setup: $*"
    echo "0 passed, 1 failed"
    exit 1
}

# compile c/*.c into a fresh temp dir; sets BIN
compile() {
    BIN=$(mktemp -d -t posix-bin.XXXXXX) || die_setup "mktemp failed"
    chmod 0755 "$BIN"
    local c n out
    for c in "$HERE"/c/*.c; do
        n=$(basename "$c" .c)
        if ! out=$(gcc -O2 -Wall -o "$BIN/$n" "$c" -lpthread 2>&1); then
            rm -rf "$BIN"
            die_setup "gcc $n.c: $(short "$out")"
        fi
    done
    chmod 0755 "$BIN"/*
    export POSIX_BIN=$BIN
}

# ---------------------------------------------------------------------------
# --record-inodes / --check-inodes: one line per entry of the tree:
#   path type ino nlink mode uid gid size mtime(ns) content
# where content is the CRC (cksum: fast on large sparse files) of a regular
# file's bytes, the target of a symlink,
# and, for every entry, a hash of its user.* xattrs.  ctime and atime are
# not recorded (they may legitimately change).
snapshot() {
    local dir=$1 p
    (
        cd "$dir" || exit 1
        find . -mindepth 1 -print0 | sort -z | while IFS= read -r -d '' p; do
            local meta content x
            meta=$(stat --printf '%F|%i|%h|%a|%u|%g|%s|%.9Y' -- "$p") || exit 1
            case "$meta" in
            regular*) content=$(cksum <"$p") || exit 1; content="crc:${content%% *}" ;;
            symbolic*) content="-> $(readlink -- "$p")" ;;
            *) content="-" ;;
            esac
            x=$("$FSOP" listxattr "$p" 65536 user.)
            if [[ "$x" != "-" && "$x" != E* ]]; then
                local names n
                IFS=, read -ra names <<<"$x"
                x=$(for n in "${names[@]}"; do printf '%s=' "$n"; "$FSOP" getxattr "$p" "$n"; done | sha256sum)
                x="xattrs:${x%% *}"
            fi
            printf '%q|%s|%s|%s\n' "$p" "$meta" "$content" "$x"
        done
    )
}

inode_mode() {
    local mode=$1 dir=${2:-} file=${3:-}
    [[ -n "$dir" && -n "$file" ]] || die_setup "usage: run.sh $mode DIR FILE"
    [[ -d "$dir" ]] || die_setup "$dir is not a directory"
    compile
    FSOP="$BIN/fsop"
    trap 'rm -rf "$BIN"' EXIT
    if [[ "$mode" == --record-inodes ]]; then
        snapshot "$dir" >"$file.tmp" || die_setup "cannot walk $dir"
        mv "$file.tmp" "$file"
        echo "recorded $(wc -l <"$file") entries of $dir in $file"
        exit 0
    fi
    [[ -f "$file" ]] || die_setup "no record $file"
    local now
    now=$(snapshot "$dir") || die_setup "cannot walk $dir"
    local d
    if d=$(diff <(cat "$file") <(printf '%s\n' "$now")); then
        echo "PASS check-inodes ($(wc -l <"$file") entries: same inode numbers, metadata, content)"
        echo "1 passed, 0 failed"
        exit 0
    fi
    echo "FAIL check-inodes: tree differs from the record ('<' recorded, '>' now; fields: path|type|ino|nlink|mode|uid|gid|size|mtime|content|xattrs):"
    printf '%s\n' "$d" | head -40 | sed 's/^/    /'
    echo "0 passed, 1 failed"
    exit 1
}

# --populate DIR: a small tree with every kind of object, for remount tests
populate() {
    local dir=${1:-}
    [[ -d "$dir" ]] || die_setup "usage: run.sh --populate DIR (an existing directory)"
    compile
    FSOP="$BIN/fsop"
    trap 'rm -rf "$BIN"' EXIT
    local p="$dir/posix-sample"
    [[ -e "$p" ]] && die_setup "$p already exists"
    (
        set -e
        mkdir -p "$p/a/b/c" "$p/empty-dir" "$p/other"
        : >"$p/empty"
        printf 'hello\n' >"$p/small"
        head -c 3000001 /dev/urandom >"$p/a/random-3M"
        head -c 100000 /dev/urandom >"$p/a/b/c/deep"
        # sparse, with 1 MB of data straddling 4 GiB and a tail at 5 GiB
        "$FSOP" open "$p/sparse-5G" O_CREAT,O_WRONLY : writepat 0 4294967000 1000000 9 : \
            pwrite 0 5368709120 tail >/dev/null
        ln "$p/small" "$p/other/small-hardlink"
        ln "$p/small" "$p/small-hardlink2"
        ln -s small "$p/symlink"
        ln -s a/b "$p/dirlink"
        ln -s nowhere "$p/dangling"
        touch "$p/$(printf 'n%.0s' {1..255})"
        "$FSOP" setxattr "$p/small" user.color blue >/dev/null
        "$FSOP" setxattr "$p/a" user.dir yes >/dev/null
        chmod 0600 "$p/a/random-3M"
        chmod 4755 "$p/empty"
        chown 4242:4321 "$p/a/b/c/deep"
        "$FSOP" utimensat "$p/small" 1000000000.123456789 1500000000.987654321 >/dev/null
    ) || die_setup "populate failed"
    echo "populated $p"
    exit 0
}

# ---------------------------------------------------------------------------
# --run-one NAME: internal; runs one test in its work dir (a child process)
run_one() {
    local name=$1
    FSOP="$POSIX_BIN/fsop"
    BIN=$POSIX_BIN
    W=$POSIX_W
    T=$POSIX_T
    DIR=$POSIX_DIR
    cd "$W" || fail "cannot enter $W"
    umask 022
    exec 2>"$POSIX_REASON.stderr"
    "t_$name"
    exit 0
}

main() {
    local verbose=0 only="" skip=""
    while (($#)); do
        case "$1" in
        --run-one) shift; run_one "$@" ;;
        --record-inodes | --check-inodes) inode_mode "$@" ;;
        --populate) shift; populate "$@" ;;
        --list) printf '%s\n' "${TESTS[@]}"; exit 0 ;;
        -v) verbose=1; shift ;;
        --only) only=$2; shift 2 ;;
        --skip) skip=$2; shift 2 ;;
        -h | --help) sed -n '2,13p' "$SELF"; exit 0 ;;
        -*) die_setup "unknown option $1" ;;
        *) break ;;
        esac
    done
    (($# == 1)) || die_setup "usage: run.sh [-v] [--only REGEX] [--skip REGEX] DIR"
    [[ -d "$1" ]] || die_setup "$1 is not a directory"
    DIR=$(cd "$1" && pwd) || die_setup "cannot enter $1"
    ((EUID == 0)) || die_setup "must run as root (tests switch uids with setpriv)"
    compile
    scratch=$(mktemp -d -t posix-scratch.XXXXXX) || die_setup "mktemp failed"
    trap 'rm -rf "$BIN" "$scratch"' EXIT
    export POSIX_DIR=$DIR

    local npass=0 nfail=0 name rc reason start secs
    for name in "${TESTS[@]}"; do
        [[ -n "$only" && ! "$name" =~ $only ]] && continue
        [[ -n "$skip" && "$name" =~ $skip ]] && continue
        local w="$DIR/t.$name" t="$scratch/$name"
        rm -rf "$w" "$t"
        reason=""
        if ! mkdir -m 0755 "$w" 2>"$scratch/err"; then
            reason="cannot create work dir $w: $(head -c 300 "$scratch/err")"
        else
            mkdir -p "$t"
            : >"$scratch/reason"
            : >"$scratch/reason.stderr"
            start=$(date +%s.%N)
            POSIX_W=$w POSIX_T=$t POSIX_REASON="$scratch/reason" \
                timeout -k 10 "$TEST_TIMEOUT" "$SELF" --run-one "$name" >"$scratch/log" 2>&1 </dev/null
            rc=$?
            secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
            if [[ -s "$scratch/reason" ]]; then
                reason=$(head -n 1 "$scratch/reason")
            elif ((rc == 124 || rc == 137)); then
                reason="timed out after ${TEST_TIMEOUT}s"
            elif ((rc != 0)); then
                reason="exit status $rc: $(cat "$scratch/log" "$scratch/reason.stderr" 2>/dev/null | tail -n 1 | head -c 300)"
            fi
            if ! rm -rf "$w" 2>"$scratch/err"; then
                [[ -z "$reason" ]] && reason="cleanup: rm -rf $w failed: $(head -n 1 "$scratch/err")"
            fi
            rm -rf "$t"
            ((verbose)) && echo "    ($name: ${secs}s)" >&2
        fi
        if [[ -z "$reason" ]]; then
            echo "PASS $name"
            npass=$((npass + 1))
        else
            echo "FAIL $name: $reason"
            nfail=$((nfail + 1))
            if ((verbose)); then
                cat "$scratch/log" "$scratch/reason.stderr" 2>/dev/null | tail -n 20 | sed 's/^/    | /' >&2
            fi
        fi
    done
    echo "$npass passed, $nfail failed"
    ((nfail == 0))
}

main "$@"
