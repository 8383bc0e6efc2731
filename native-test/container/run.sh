#!/bin/bash
# Container test: a process in a real container runtime, running as a
# non-root uid (its real uid: no user namespace), writes and reads through
# the bind-mounted DIR; the host must see the same bytes and the same owner;
# access to another user's 0700 directory must be refused.
#
#   native-test/container/run.sh DIR
#
# Runtime: podman with runc and a root file system made from busybox-static
# (`podman --runtime runc run --rootfs ROOTFS`, see FIELD-NOTES); if podman
# cannot run a container here, the same script runs under
# `setpriv --reuid/--regid` instead.  A line "# runtime: ..." says which.
# Output: "PASS name" / "FAIL name: reason" lines, then "N passed, N failed";
# exit status non-zero if any failed.  CTEST_FORCE_SETPRIV=1 skips podman.
#
# Through FUSE this needs a mount with allow_other (runc, and the container
# user, must be able to stat and use DIR) and default_permissions.
set -u
export LC_ALL=C

CUID=4242        # the container user: no passwd entry, unprivileged
CGID=4242
OTHER=65534      # owner of the other user's private dir

npass=0
nfail=0
pass() { echo "PASS $1"; npass=$((npass + 1)); }
failt() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
finish() {
    echo "$npass passed, $nfail failed"
    ((nfail == 0))
    exit
}

if (($# != 1)) || [[ ! -d "$1" ]]; then
    echo "FAIL setup: usage: run.sh DIR (an existing directory)"
    echo "0 passed, 1 failed"
    exit 1
fi
if ((EUID != 0)); then
    echo "FAIL setup: must run as root"
    echo "0 passed, 1 failed"
    exit 1
fi
DIR=$(cd "$1" && pwd)
BUSYBOX=$(command -v busybox || true)

ROOTFS=""
WORK=""
CNAME="tierfs-ctest-$$"
cleanup() {
    podman rm -f "$CNAME" >/dev/null 2>&1
    [[ -n "$ROOTFS" ]] && rm -rf "$ROOTFS"
    [[ -n "$WORK" ]] && rm -rf "$WORK"
    [[ -n "${SCRATCH:-}" ]] && rm -rf "$SCRATCH"
}
trap cleanup EXIT

SCRATCH=$(mktemp -d -t ctest-scratch.XXXXXX)

# --- root file system: busybox-static and its applets -----------------------
if [[ -z "$BUSYBOX" ]] || ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
    failt setup "a statically linked busybox is needed (apt-get install busybox-static)"
    finish
fi
ROOTFS=$(mktemp -d -t ctest-rootfs.XXXXXX)
chmod 0755 "$ROOTFS"
mkdir -p "$ROOTFS"/{bin,proc,sys,dev,etc,tmp,data}
chmod 1777 "$ROOTFS/tmp"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for a in $("$BUSYBOX" --list); do
    [[ -e "$ROOTFS/bin/$a" ]] || ln -s busybox "$ROOTFS/bin/$a"
done
echo "root:x:0:0:root:/:/bin/sh" >"$ROOTFS/etc/passwd"
echo "root:x:0:" >"$ROOTFS/etc/group"

# --- the tree inside DIR -----------------------------------------------------
WORK="$DIR/ctest.$$"
rm -rf "$WORK"
if ! mkdir -m 0755 "$WORK"; then
    WORK=""
    failt setup "cannot create a work dir in $DIR"
    finish
fi
mkdir -m 0755 "$WORK/own" && chown $CUID:$CGID "$WORK/own" # the container user's dir
mkdir -m 0700 "$WORK/private" && printf 'root secret\n' >"$WORK/private/secret"  # root's
mkdir -m 0700 "$WORK/other" && printf 'x\n' >"$WORK/other/file" && chown -R $OTHER:$OTHER "$WORK/other"
head -c 1000003 /dev/urandom >"$WORK/host.bin"
chmod 0644 "$WORK/host.bin"
host_sum=$(sha256sum <"$WORK/host.bin" | cut -d' ' -f1)

# The script run inside the container (busybox sh).  $1 is where DIR/ctest.X
# is seen.  Prints key=value lines.
cat >"$SCRATCH/inside.sh" <<'EOF'
D=$1
echo "uid=$(id -u)"
echo "gid=$(id -g)"
echo "uid_map=$(cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')"
printf 'hello from the container\n' >"$D/own/hello.txt"; echo "write_rc=$?"
dd if=/dev/urandom of="$D/own/c.bin" bs=4096 count=300 2>/dev/null; echo "dd_rc=$?"
echo "c_sum=$(sha256sum "$D/own/c.bin" | cut -d' ' -f1)"
echo "c_owner=$(stat -c %u:%g "$D/own/c.bin")"
mkdir "$D/own/cdir" && printf 'nested\n' >"$D/own/cdir/n.txt"; echo "mkdir_rc=$?"
echo "host_sum=$(sha256sum "$D/host.bin" | cut -d' ' -f1)"
printf 'appended\n' >>"$D/own/hello.txt"; echo "append_rc=$?"
ls "$D/private" >/dev/null 2>&1; echo "private_ls=$?"
cat "$D/private/secret" >/dev/null 2>&1; echo "private_cat=$?"
touch "$D/private/new" 2>/dev/null; echo "private_touch=$?"
ls "$D/other" >/dev/null 2>&1; echo "other_ls=$?"
cat "$D/other/file" >/dev/null 2>&1; echo "other_cat=$?"
touch "$D/rootdir-new" 2>/dev/null; echo "rootdir_touch=$?"
printf 'x' >>"$D/host.bin" 2>/dev/null; echo "hostfile_write=$?"
echo "done=yes"
EOF
chmod 0644 "$SCRATCH/inside.sh"
cp "$SCRATCH/inside.sh" "$ROOTFS/inside.sh"

# --- run it ---------------------------------------------------------------
PODMAN=(podman --runtime runc run --rm --name "$CNAME" --network none
    --ulimit nofile=1024:1024 --ulimit nproc=4096:4096
    --user "$CUID:$CGID" -v "$WORK:/data")
runtime=""
if [[ -n "${CTEST_FORCE_SETPRIV:-}" ]]; then
    why="CTEST_FORCE_SETPRIV is set"
elif command -v podman >/dev/null && command -v runc >/dev/null; then
    if out=$("${PODMAN[@]}" --rootfs "$ROOTFS" /bin/true 2>&1); then
        runtime=podman
    else
        why=$(printf '%s' "$out" | tail -n 1 | head -c 200)
    fi
else
    why="podman or runc not installed"
fi

if [[ "$runtime" == podman ]]; then
    echo "# runtime: podman --runtime runc (rootfs from busybox-static), --user $CUID:$CGID, -v $WORK:/data"
    "${PODMAN[@]}" --rootfs "$ROOTFS" /bin/sh /inside.sh /data >"$SCRATCH/out" 2>"$SCRATCH/err"
    rc=$?
else
    echo "# runtime: setpriv --reuid $CUID --regid $CGID --clear-groups (podman could not run: $why)"
    runtime=setpriv
    setpriv --reuid=$CUID --regid=$CGID --clear-groups -- "$ROOTFS/bin/busybox" sh "$ROOTFS/inside.sh" "$WORK" \
        >"$SCRATCH/out" 2>"$SCRATCH/err"
    rc=$?
fi

get() { sed -n "s/^$1=//p" "$SCRATCH/out" | head -n 1; }

if ((rc == 0)) && [[ "$(get done)" == yes ]]; then
    pass container_runs
else
    failt container_runs "exit $rc: $(head -c 300 "$SCRATCH/err" | tr '\n' ' ')"
    finish
fi

# the process really runs as uid 4242: not root mapped by a user namespace
um=$(get uid_map)
if [[ "$(get uid)" == $CUID && "$(get gid)" == $CGID && "$um" == "0 0 4294967295" ]]; then
    pass container_uid_real
else
    failt container_uid_real "uid=$(get uid) gid=$(get gid) uid_map='$um' (expected $CUID, $CGID, identity map)"
fi

# bytes written in the container are the bytes the host reads
c_host=$(sha256sum <"$WORK/own/c.bin" 2>/dev/null | cut -d' ' -f1)
if [[ "$(get write_rc)" == 0 && "$(get dd_rc)" == 0 && "$(get append_rc)" == 0 &&
    "$(cat "$WORK/own/hello.txt" 2>&1)" == $'hello from the container\nappended' &&
    -n "$c_host" && "$c_host" == "$(get c_sum)" && "$(stat -c %s "$WORK/own/c.bin")" == 1228800 &&
    "$(cat "$WORK/own/cdir/n.txt" 2>&1)" == nested ]]; then
    pass container_write_visible_on_host
else
    failt container_write_visible_on_host "rc write=$(get write_rc) dd=$(get dd_rc) append=$(get append_rc); c.bin container $(get c_sum) host ${c_host:-none}; hello.txt '$(head -c 80 "$WORK/own/hello.txt" 2>&1 | tr '\n' '|')'"
fi

# files created in the container belong to the container's uid/gid, as seen
# from both sides
owners=$(stat -c %u:%g "$WORK/own/hello.txt" "$WORK/own/c.bin" "$WORK/own/cdir" "$WORK/own/cdir/n.txt" 2>&1 | sort -u)
if [[ "$owners" == "$CUID:$CGID" && "$(get c_owner)" == "$CUID:$CGID" ]]; then
    pass container_owner_on_host
else
    failt container_owner_on_host "host sees owners '$(echo $owners)', container sees '$(get c_owner)' (expected $CUID:$CGID)"
fi

# bytes written on the host are the bytes the container reads
if [[ "$(get host_sum)" == "$host_sum" ]]; then
    pass container_reads_host_bytes
else
    failt container_reads_host_bytes "sha256 in the container '$(get host_sum)', on the host '$host_sum'"
fi

# root's 0700 dir and another user's 0700 dir are closed to the container user
if [[ "$(get private_ls)" != 0 && "$(get private_cat)" != 0 && "$(get private_touch)" != 0 &&
    "$(get other_ls)" != 0 && "$(get other_cat)" != 0 && ! -e "$WORK/private/new" ]]; then
    pass container_denied_private_dirs
else
    failt container_denied_private_dirs "ls/cat/touch in root's 0700 dir: $(get private_ls)/$(get private_cat)/$(get private_touch); ls/cat in uid $OTHER's 0700 dir: $(get other_ls)/$(get other_cat) (0 = allowed)"
fi

# no writes where the mode forbids them (root's 0755 dir, root's 0644 file)
if [[ "$(get rootdir_touch)" != 0 && "$(get hostfile_write)" != 0 && ! -e "$WORK/rootdir-new" &&
    "$(sha256sum <"$WORK/host.bin" | cut -d' ' -f1)" == "$host_sum" ]]; then
    pass container_denied_root_files
else
    failt container_denied_root_files "create in root's 0755 dir: $(get rootdir_touch), append to root's 0644 file: $(get hostfile_write) (0 = allowed)"
fi

# nothing of the container is left behind
if [[ "$runtime" == podman ]] && podman container exists "$CNAME" 2>/dev/null; then
    failt container_removed "container $CNAME still exists after --rm"
else
    pass container_removed
fi

finish
