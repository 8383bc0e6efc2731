#!/usr/bin/env bash
# The volume plugin with a real container engine: podman (which speaks Docker's volume plugin
# protocol) creates a tierfs volume by driver name, two containers use it in a row (as root and as
# another uid), it is listed, refused removal while in use, shared by two containers at once,
# survives the plugin's kill -9 and restart, and is removed. podman runs with its own config and
# storage under this test's folder, from an image imported from a busybox-static tree (no registry,
# no network).
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-plugin.XXXXXX)"
chmod 755 "$work"
plugin=
sock="$work/tierfs.sock" root="$work/plugin" vols="$work/plugin/volumes"
P=(podman --runtime runc)
stop_plugin() { [[ -n "$plugin" ]] && kill "$plugin" 2>/dev/null && wait "$plugin" 2>/dev/null; plugin=; }
cleanup() {
  "${P[@]}" rm -f -a >/dev/null 2>&1
  "${P[@]}" volume rm -f -a >/dev/null 2>&1
  stop_plugin
  for m in "$vols"/*/mnt; do
    grep -q " $m fuse" /proc/mounts && { "$TIERFS" unmount "$m" >/dev/null 2>&1 || umount -l "$m"; }
  done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/tmp" "$work/rootfs"/{bin,proc,sys,dev,etc,tmp,data}
cat > "$work/containers.conf" <<CONF
[engine]
tmp_dir = "$work/tmp"
volume_path = "$work/podman-volumes"
events_logger = "file"
events_logfile_path = "$work/events.log"
cgroup_manager = "cgroupfs"
runtime = "runc"

[engine.volume_plugins]
tierfs = "$sock"
CONF
cat > "$work/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$work/graph"
runroot = "$work/run"
CONF
export CONTAINERS_CONF="$work/containers.conf" CONTAINERS_STORAGE_CONF="$work/storage.conf"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do [[ -e "$work/rootfs/bin/$a" ]] || ln -s busybox "$work/rootfs/bin/$a"; done
echo "root:x:0:0:root:/:/bin/sh" > "$work/rootfs/etc/passwd"
echo "root:x:0:" > "$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
# An image made from the tree (podman never unmounts a volume of a --rootfs container: its
# cleanup returns before it gets to the volumes)
tar -C "$work/rootfs" -cf - . | "${P[@]}" import -q - localhost/tierfs-test-busybox > /dev/null \
  || { fail "setup" "podman import of a busybox tree failed"; summary; exit 1; }
# run [podman run options...] -- COMMAND: a container from the busybox image, without a network
run() {
  local opts=()
  while [[ "$1" != "--" ]]; do opts+=("$1"); shift; done; shift
  "${P[@]}" run --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "${opts[@]}" \
    localhost/tierfs-test-busybox /bin/sh -c "$*"
}
mounted() { grep -q " $vols/$1/mnt fuse.tierfs " /proc/mounts; }
start_plugin() {
  "$TIERFS" plugin --socket "$sock" --root "$root" >> "$work/plugin.out" 2>&1 & plugin=$!
  for _ in $(seq 200); do [[ -S "$sock" ]] && break; sleep 0.05; done
  [[ -S "$sock" ]] || { fail "plugin start" "$(cat "$work/plugin.out")"; summary; exit 1; }
}
start_plugin

# --- create, with tierfs options; a bad option is refused with the plugin's reason
if out="$("${P[@]}" volume create --driver tierfs -o ssd-capacity=1G -o hot-capacity=16M vol1 2>&1)"; then
  pass "podman volume create --driver tierfs"
else
  fail "volume create" "$out"
fi
out="$("${P[@]}" volume create --driver tierfs -o colour=blue bad 2>&1)"; rc=$?
[[ $rc -ne 0 && "$out" == *"unknown option 'colour'"* ]] && pass "an unknown option fails volume create, with its name" \
  || fail "unknown option" "rc $rc: $out"
out="$("${P[@]}" volume create --driver tierfs -o seal-after=soon bad2 2>&1)"; rc=$?
[[ $rc -ne 0 && "$out" == *"seal-after"* ]] && pass "a bad value fails volume create, with its reason" \
  || fail "bad value" "rc $rc: $out"
ls="$("${P[@]}" volume ls --format '{{.Driver}} {{.Name}}' 2>&1)"
[[ "$ls" == *"tierfs vol1"* && "$ls" != *bad* ]] && pass "volume ls lists it (and not the refused ones)" || fail "volume ls" "$ls"

# --- the socket answers bad requests with reasons, not Java's
bad_req() { curl -s --unix-socket "$sock" -X POST "http://plugin/$1" --data-binary "$2"; }
out="$(bad_req VolumeDriver.Create '{"Name":'; bad_req VolumeDriver.Get '{"Name":123}'
       head -c 100000 /dev/zero | tr '\0' x | sed 's/^/{"Name":"/; s/$/"}/' > "$work/big.json"; bad_req VolumeDriver.Create @"$work/big.json")"
[[ "$out" == *'"Err":"the request is not a JSON object"'*'"Err":"Name must be a string"'*'"Err":"request of 100011 bytes refused'* \
   && "$out" != *Exception* ]] && pass "malformed, mistyped and oversized requests get plain reasons" || fail "bad requests" "$out"
out="$("${P[@]}" volume create --driver tierfs -o ssd=relative/dir rel 2>&1)"
[[ "$out" == *"must be an absolute path"* ]] && pass "a relative tier path is refused" || fail "relative ssd" "$out"

# --- a container as root, then one as uid 1000, then a third reads what both wrote
if out="$(run --rm -v vol1:/data -- 'head -c 2000000 /dev/urandom > /data/root-file && md5sum /data/root-file > /data/root-file.md5 && mkdir /data/u && chown 1000:1000 /data/u && sync' 2>&1)"; then
  pass "a container writes into the volume as root"
else
  fail "container as root" "$out"
fi
mounted vol1 && fail "unmount after the last container" "still mounted" || pass "the volume is unmounted once its container is gone"
if out="$(run --rm --user 1000:1000 -v vol1:/data -- 'echo from-1000 > /data/u/file && id -u' 2>&1)" && [[ "$out" == 1000 ]]; then
  pass "a container writes into it as uid 1000"
else
  fail "container as uid 1000" "$out"
fi
out="$(run --rm -v vol1:/data -- 'md5sum -c /data/root-file.md5 && stat -c %u /data/u/file && cat /data/u/file' 2>&1)"
[[ "$out" == *"root-file: OK"* && "$out" == *$'\n1000\nfrom-1000'* ]] \
  && pass "a later container reads both back (checksum, owner, content)" || fail "read back" "$out"
[[ -d "$vols/vol1/data" && -f "$vols/vol1/data/tierfs.log" ]] && pass "the volume's data folder is a tierfs data folder under the plugin root" \
  || fail "data folder" "$(ls -la "$vols/vol1" 2>&1)"

# --- containers in quick succession: each unmount is complete before the next mount
ok=0
for i in 1 2 3; do out="$(run --rm -v vol1:/data -- true 2>&1)" && ok=$((ok + 1)); done
[[ $ok -eq 3 ]] && pass "three short containers in a row each get the volume" || fail "quick succession" "$ok of 3: $out"

# --- in use: removal refused; a second container shares the mount
run -d --name holder -v vol1:/data -- 'echo held > /data/held; sleep 600' > /dev/null
for _ in $(seq 100); do mounted vol1 && break; sleep 0.1; done
out="$("${P[@]}" volume rm vol1 2>&1)"; rc=$?
[[ $rc -ne 0 ]] && "${P[@]}" volume exists vol1 && pass "volume rm is refused while a container uses it ($(echo "$out" | head -1 | cut -c1-90))" \
  || fail "rm in use" "rc $rc: $out"
out="$(run --rm -v vol1:/data -- 'cat /data/held' 2>&1)"
[[ "$out" == held ]] && mounted vol1 && pass "a second container shares the mount, which stays for the first" \
  || fail "shared mount" "$out"

# --- the plugin dies with the volume mounted: the container keeps its data; a new plugin knows it
kill -9 "$plugin"; wait "$plugin" 2>/dev/null; plugin=
out="$("${P[@]}" exec holder /bin/sh -c 'echo during > /data/during && cat /data/held' 2>&1)"
[[ "$out" == held ]] && pass "with the plugin killed, the container still reads and writes" || fail "plugin killed" "$out"
rm -f "$sock"
start_plugin
ls="$("${P[@]}" volume ls --format '{{.Name}}' 2>&1)"
path="$(curl -s --unix-socket "$sock" -X POST http://plugin/VolumeDriver.Path -d '{"Name":"vol1"}')"
[[ "$ls" == *vol1* && "$path" == *"$vols/vol1/mnt"* ]] && pass "a restarted plugin lists the volume and finds its mount" \
  || fail "plugin restart" "$ls / $path"
"${P[@]}" rm -f -t 0 holder > /dev/null 2>&1
for _ in $(seq 100); do mounted vol1 || break; sleep 0.1; done
mounted vol1 && fail "unmount by the restarted plugin" "still mounted" || pass "the restarted plugin unmounts after the last container"
out="$(run --rm -v vol1:/data -- 'cat /data/during /data/held' 2>&1)"
[[ "$out" == $'during\nheld' ]] && pass "what was written while the plugin was dead is there" || fail "data after restart" "$out"

# --- removal deletes the data
if out="$("${P[@]}" volume rm vol1 2>&1)" && [[ ! -e "$vols/vol1" ]] && ! "${P[@]}" volume exists vol1; then
  pass "volume rm deletes the volume and its data"
else
  fail "volume rm" "$out"
fi
# podman gives a plugin 5 s a request (volume_plugin_timeout): a mount is a new daemon, started
echo "# mounts by the plugin took: $(grep -o 'by daemon [0-9]* in [0-9]* ms' "$root/plugin.log" | awk '{print $5}' | tr '\n' ' ')ms"
stop_plugin
[[ ! -S "$sock" ]] && pass "a stopped plugin removes its socket" || fail "socket" "left behind"
summary
