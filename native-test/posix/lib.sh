# Helpers shared by the tests in tests/*.sh (sourced by run.sh).
#
# Inside a test:
#   - the current directory is the test's own empty work directory inside
#     the directory under test ($W); run.sh removes it afterwards;
#   - $T is a private scratch directory OUTSIDE the directory under test
#     (for reference copies of data);
#   - $FSOP, $BIN/<prog> are the compiled helpers (see c/*.c);
#   - a test passes by returning, and fails by calling `fail REASON`.

TESTS=()
# register a test: the function t_NAME becomes test NAME (run in this order)
T() { TESTS+=("$1"); }

fail() {
    local msg="$*" err="$POSIX_REASON.stderr"
    # commands' own complaints (e.g. of a failed setup step) go to this file
    if [[ -s "$err" ]]; then
        msg+=" [stderr: $(tail -n 1 "$err" | head -c 300)]"
    fi
    printf '%s\n' "$msg" >>"$POSIX_REASON"
    exit 1
}

# L A B C  ->  "A\nB\nC"   (build the expected output of a fsop chain)
L() { printf '%s\n' "$@"; }

short() {
    local s="$*"
    s=${s//$'\n'/ | }
    ((${#s} > 400)) && s="${s:0:400}..."
    printf '%s' "$s"
}

# run fsop, stdout+stderr
fsop() { "$FSOP" "$@" 2>&1; }

# _compare EXPECTED GOT ARGS...: fail naming the first differing step
_compare() {
    local exp=$1 got=$2 who=$3
    shift 3
    [[ "$got" == "$exp" ]] && return 0
    local -a el gl ops
    mapfile -t el <<<"$exp"
    mapfile -t gl <<<"$got"
    local cur="" a
    for a in "$@"; do
        if [[ "$a" == ":" ]]; then ops+=("$cur"); cur=""; else cur+="${cur:+ }$a"; fi
    done
    ops+=("$cur")
    if ((${#ops[@]} == ${#el[@]})); then
        local i
        for ((i = 0; i < ${#el[@]} || i < ${#gl[@]}; i++)); do
            if [[ "${el[i]-<nothing>}" != "${gl[i]-<nothing>}" ]]; then
                fail "$who$(short "${ops[i]-?}") (step $((i + 1)) of ${#ops[@]}): expected '$(short "${el[i]-<nothing>}")', got '$(short "${gl[i]-<nothing>}")'"
            fi
        done
    fi
    fail "$who$(short "$@"): expected [$(short "$exp")], got [$(short "$got")]"
}

# expect EXPECTED_OUTPUT OP ARGS [: OP ARGS]...   (as the current user, root)
expect() {
    local exp=$1
    shift
    local got
    got=$("$FSOP" "$@" 2>&1)
    _compare "$exp" "$got" "" "$@"
}

# as UID GID GROUPS CMD...  run CMD with real uid/gid switched by setpriv;
# GROUPS is "-" (no supplementary groups) or a comma-separated list
as() {
    local u=$1 g=$2 gr=$3
    shift 3
    if [[ "$gr" == "-" ]]; then
        setpriv --reuid="$u" --regid="$g" --clear-groups -- "$@"
    else
        setpriv --reuid="$u" --regid="$g" --groups="$gr" -- "$@"
    fi
}

# expect_as UID GID GROUPS EXPECTED OP ARGS...  (fsop as another user)
expect_as() {
    local u=$1 g=$2 gr=$3 exp=$4
    shift 4
    local got
    got=$(as "$u" "$g" "$gr" "$FSOP" "$@" 2>&1)
    _compare "$exp" "$got" "[uid $u gid $g groups $gr] " "$@"
}

# must CMD...: run CMD, fail the test with its output if it fails
must() {
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    ((rc == 0)) || fail "$(short "$*") failed (exit $rc): $(short "$out")"
    [[ -n "$out" ]] && printf '%s\n' "$out"
    return 0
}

# check COND_DESCRIPTION TEST-EXPRESSION...: fail unless [[ ... ]] holds
assert_eq() { # GOT EXPECTED WHAT
    [[ "$1" == "$2" ]] || fail "$3: expected '$(short "$2")', got '$(short "$1")'"
}

# ts_cmp A B: compare "SEC.NSEC" timestamps; prints -1, 0 or 1
ts_cmp() {
    local as=${1%.*} an=${1#*.} bs=${2%.*} bn=${2#*.}
    an=$((10#$an)) bn=$((10#$bn))
    if ((as < bs || (as == bs && an < bn))); then echo -1
    elif ((as == bs && an == bn)); then echo 0
    else echo 1; fi
}
ts_gt() { [[ $(ts_cmp "$1" "$2") == 1 ]]; }

# ts_diff_s A B: |A - B| in whole seconds (rounded down)
ts_diff_s() {
    local a=${1%.*} b=${2%.*}
    local d=$((a - b))
    echo $((d < 0 ? -d : d))
}

# make a reference file of N random bytes in $T and print its path
randfile() {
    local name=$1 n=$2
    head -c "$n" /dev/urandom >"$T/$name" || fail "cannot create reference file"
    printf '%s' "$T/$name"
}

# the uids/gids used for permission tests
NOBODY=65534
NOGROUP=65534
OTHER_UID=4242     # an unprivileged uid with no passwd entry
OTHER_GID=4321     # a group nobody is not a member of (unless given)
