# Concurrent writers and fio with verification.

# 4 processes write disjoint, page-sharing regions of one file plus their
# own files plus O_APPEND records, while 4 threads write interleaved
# stripes through one shared fd; every byte is then checked.  See c/concur.c.
t_concurrent_writers() {
    local out
    out=$("$BIN/concur" . 4 4 $((1048576 + 1237)) 2>&1) || fail "concur: $out"
}
T concurrent_writers

# fio_verify DIRECT: 4 jobs x 64 MiB random 4 KiB writes with crc32c
# verification of every block; no verify error, no job error.
fio_verify() {
    command -v fio >/dev/null || fail "fio is not installed"
    local direct=$1 out rc
    out=$(fio --name=v --directory="$PWD" --size=64m --bs=4k --rw=randwrite --verify=crc32c --do_verify=1 \
        --verify_fatal=1 --numjobs=4 --ioengine=psync --direct="$direct" 2>&1)
    rc=$?
    printf '%s\n' "$out" >"$T/fio.out"
    ((rc == 0)) || fail "fio --direct=$direct exited $rc: $(grep -iE 'verify|error|err=' "$T/fio.out" | head -n 3 | tr '\n' ' ')"
    grep -qiE 'verify.*(fail|bad|mismatch)|bad magic|crc32c.*(wanted|mismatch)' "$T/fio.out" &&
        fail "fio --direct=$direct reported verify errors: $(grep -iE 'verify|bad magic|crc32c' "$T/fio.out" | head -n 2 | tr '\n' ' ')"
    local n
    n=$(grep -c 'err= 0' "$T/fio.out")
    ((n == 4)) || fail "fio --direct=$direct: $n of 4 jobs report err= 0"
    rm -f v.*.*
}
t_fio_verify_buffered() { fio_verify 0; }
T fio_verify_buffered
t_fio_verify_direct() { fio_verify 1; }
T fio_verify_direct

# stress-ng's filesystem stressors with --verify where a stressor checks its
# own data: all at once (none fails, none is skipped as unsupported), then each
# alone, which must make progress (a bogo op) in its time. Together on two
# cores, some spend the whole run setting up (readahead writes 64 MiB in 4 KiB
# requests behind everyone's fsyncs), so progress is checked alone. A round of
# the xattr stressor sets up to 4096 attributes on a file (ext4 stops it after
# a few dozen): about 50,000 FUSE requests, so it gets longer.
STRESSORS="hdd dir dentry link symlink rename fallocate seek xattr filename lockf flock fcntl sync-file mmap readahead fstat chmod utime copy-file"
# stress_ng_run SECONDS STRESSOR...: exit 0, nothing skipped; alone, progress too
stress_ng_run() {
    local seconds=$1 rc s args=()
    shift
    for s in "$@"; do args+=("--$s" 1); done
    [[ " $* " == *" mmap "* ]] && args+=(--mmap-file --mmap-bytes 4m)  # a round maps, syncs and checks it all
    stress-ng --temp-path "$PWD" --timeout "${seconds}s" --verify --metrics-brief "${args[@]}" \
        >"$T/stress-ng.out" 2>&1
    rc=$?
    ((rc == 0)) || fail "stress-ng --$* exited $rc: $(grep -iE 'fail|error|abort' "$T/stress-ng.out" | head -n 3 | tr '\n' ' ')"
    grep -qiE 'skipp|not supported|not implemented' "$T/stress-ng.out" &&
        fail "stress-ng skipped a stressor: $(grep -iE 'skipp|not supported|not implemented' "$T/stress-ng.out" | head -n 2 | tr '\n' ' ')"
    (($# == 1)) || return 0
    # its metrics row: "stress-ng: metrc: [PID] NAME BOGO-OPS ..."
    awk -v s="$1" '$2 == "metrc:" && $4 == s && $5 > 0 { found = 1 } END { exit !found }' "$T/stress-ng.out" ||
        fail "stress-ng's $1 stressor made no progress alone in ${seconds} s (no bogo ops)"
}
t_stress_ng() {
    command -v stress-ng >/dev/null || fail "stress-ng is not installed"
    local s
    # shellcheck disable=SC2086
    stress_ng_run 4 $STRESSORS
    for s in $STRESSORS; do
        stress_ng_run "$([[ $s == xattr ]] && echo 6 || echo 2)" "$s"
    done
}
T stress_ng
