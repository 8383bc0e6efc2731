# Runs last: nothing of the earlier tests is left in the directory under
# test (their work dirs were removed by rm -rf), and no .fuse_hidden* file
# exists anywhere in it (every unlinked-while-open file was really freed).
t_no_leftovers() {
    local left
    left=$(cd "$DIR" && ls -A | grep -E '^t\.' | grep -vx "t.no_leftovers" | head -n 5 | tr '\n' ' ')
    [[ -z "$left" ]] || fail "leftover work dirs in $DIR: $left"
    left=$(find "$DIR" -xdev -name '.fuse_hidden*' 2>/dev/null | head -n 5 | tr '\n' ' ')
    [[ -z "$left" ]] || fail "leftover hidden files: $left"
    # the directory under test still answers normally
    expect "$(L 0 2 ok)" open "$DIR/t.no_leftovers/f" O_CREAT,O_RDWR : writepat 0 0 2 1 : checkpat 0 0 2 1
}
T no_leftovers
