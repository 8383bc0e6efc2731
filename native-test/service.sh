#!/usr/bin/env bash
# tierfs as a host service: installed on the PATH (mount-scripts/install.sh), mounted by
# `mount -t fuse.tierfs` and by fstab lines, and run by its systemd unit (tierfs@.service; systemd
# is not PID 1 here, so this starts the unit's command line itself with the environment and the
# signals systemd would give it): ready only once the mount serves, SIGTERM during writes loses
# nothing synced and leaves no mount, a daemon killed and started again clears its dead mount.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-service.XXXXXX)"
daemon= writer= listener=
trap 'for p in $daemon $writer $listener; do kill -9 "$p" 2>/dev/null; done; cleanup_mounts; rm -rf "$work"' EXIT
data="$work/data" mnt="$work/mnt"
mkdir -p "$mnt"
MOUNTS_MADE+=("$mnt")
mounted() { grep -q " $1 fuse.tierfs " /proc/mounts; }
hot_capacity() { python3 -c 'import json,sys; print(next(t["capacityBytes"] for t in json.load(sys.stdin)["tiers"] if t["name"] == "hot"))' 2>&1; }

# --- installed where mount.fuse finds it: it runs `tierfs DATA MOUNTPOINT -o OPTIONS` with no
# PATH of its own, so the shell's default path (with /usr/local/bin) is the one that counts
if out="$("$REPO/mount-scripts/install.sh" --systemd "$work/systemd" 2>&1)" && [[ -x /usr/local/bin/tierfs ]] \
   && env -i /bin/sh -c 'tierfs --version' | grep -q '^tierfs '; then
  pass "install.sh puts tierfs on the default PATH"
else
  fail "install.sh" "$out"; summary; exit 1
fi

# --- mount -t fuse.tierfs, with the options fstab users write
if out="$(mount -t fuse.tierfs "$data" "$mnt" -o defaults,hot-capacity=16M,ssd-capacity=1G,noatime,_netdev,nofail 2>&1)" \
   && mounted "$mnt" && [[ -z "$out" ]]; then
  pass "mount -t fuse.tierfs mounts, quietly"
else
  fail "mount -t fuse.tierfs" "$out"
fi
opts="$(awk -v m="$mnt" '$2 == m { print $4 }' /proc/mounts)"
[[ ",$opts," == *,noatime,* && ",$opts," == *,nosuid,* && ",$opts," == *,nodev,* ]] \
  && pass "its flags are the kernel's ($opts)" || fail "mount flags" "$opts"
hot="$("$TIERFS" status --json "$mnt" | hot_capacity)"
[[ "$hot" == $((16 << 20)) ]] && pass "its options reach the volume (hot capacity $hot)" || fail "hot-capacity from -o" "$hot"
head -c 3000000 /dev/urandom > "$work/payload"
cp "$work/payload" "$mnt/payload" && sync "$mnt/payload"
if out="$(umount "$mnt" 2>&1)" && ! mounted "$mnt"; then pass "umount unmounts"; else fail "umount" "$out"; fi
for _ in $(seq 200); do pgrep -f -- "--data=$data" >/dev/null || break; sleep 0.05; done
pgrep -f -- "--data=$data" >/dev/null && fail "daemon after umount" "still running" || pass "the daemon exits after umount"

# --- fstab lines: mount by mountpoint, mount -a (twice: the second finds it mounted), umount
echo "$data $mnt fuse.tierfs defaults,hot-capacity=32M,_netdev 0 0" > "$work/fstab"
if out="$(mount -T "$work/fstab" "$mnt" 2>&1)" && mounted "$mnt" && cmp -s "$work/payload" "$mnt/payload"; then
  pass "an fstab line mounts it, with the data written before"
else
  fail "fstab mount" "$out"
fi
hot="$("$TIERFS" status --json "$mnt" | hot_capacity)"
[[ "$hot" == $((32 << 20)) ]] && pass "fstab options win over the recorded ones (hot capacity 32M)" || fail "fstab hot-capacity" "$hot"
out="$(mount -a -T "$work/fstab" 2>&1)"; rc=$?
[[ $rc -eq 0 && $(grep -c " $mnt fuse.tierfs " /proc/mounts) -eq 1 ]] \
  && pass "mount -a leaves a mounted line alone" || fail "mount -a twice" "rc $rc, $(grep -c " $mnt " /proc/mounts) mounts: $out"
umount "$mnt"
for _ in $(seq 200); do pgrep -f -- "--data=$data" >/dev/null || break; sleep 0.05; done
out="$(mount -a -T "$work/fstab" 2>&1)" && mounted "$mnt" && pass "mount -a mounts it" || fail "mount -a" "$out"
umount "$mnt"
for _ in $(seq 200); do pgrep -f -- "--data=$data" >/dev/null || break; sleep 0.05; done

# --- bad options: one clear line, the mount's exit status, nothing mounted
out="$(mount -t fuse.tierfs "$data" "$mnt" -o hot-capacity=16M,colour=blue 2>&1)"; rc=$?
[[ $rc -ne 0 && "$out" == *"unknown mount option 'colour=blue'"* ]] && ! mounted "$mnt" \
  && pass "an unknown option is refused by name (exit $rc)" || fail "unknown option" "rc $rc: $out"
out="$(mount -t fuse.tierfs "$data" "$mnt" -o ro 2>&1)"; rc=$?
[[ $rc -ne 0 && "$out" == *"read-write only"* ]] && ! mounted "$mnt" \
  && pass "ro is refused clearly" || fail "ro" "rc $rc: $out"
out="$(mount -t fuse.tierfs "$data" "$mnt" -o seal-after=soon 2>&1)"; rc=$?
[[ $rc -ne 0 && "$out" == *"seal-after"* ]] && ! mounted "$mnt" \
  && pass "a bad value is refused by name" || fail "bad value" "rc $rc: $out"

# --- the systemd unit
unit="$work/systemd/tierfs@.service"
if command -v systemd-analyze >/dev/null; then
  out="$(systemd-analyze verify "$unit" "$work/systemd/tierfs-plugin.service" 2>&1)" \
    && pass "systemd-analyze verify accepts tierfs@.service and tierfs-plugin.service" || fail "systemd-analyze verify" "$out"
fi
conf="$work/vol.conf"
printf 'data=%s\nmountpoint=%s\nhot-capacity=16M\nssd-capacity=64M\nseal-after=1\n' "$data" "$mnt" > "$conf"
# ExecStart as systemd would run it for tierfs@vol.service, with this test's config file
read -r -a exec_start < <(sed -n 's/^ExecStart=//p' "$unit" | sed "s|/etc/tierfs/%i.conf|$conf|")
notify="$work/notify.sock"
start_unit() { # starts ExecStart with NOTIFY_SOCKET; sets $daemon; waits for READY=1 (or the daemon's exit)
  rm -f "$notify" "$work/ready"
  python3 - "$notify" "$mnt" "$work/ready" <<'PY' & listener=$!
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    msg = s.recv(4096).decode()
    if "READY=1" in msg.split("\n"):
        # what a unit ordered after this one would see at this moment
        serving = any(l.split()[1] == sys.argv[2] and l.split()[2] == "fuse.tierfs" for l in open("/proc/mounts"))
        try:
            os.listdir(sys.argv[2]); usable = True
        except OSError:
            usable = False
        open(sys.argv[3], "w").write(f"{serving} {usable} {msg!r}\n")
        break
PY
  for _ in $(seq 100); do [[ -S "$notify" ]] && break; sleep 0.02; done
  NOTIFY_SOCKET="$notify" "${exec_start[@]}" > "$work/unit.out" 2>&1 & daemon=$!
  for _ in $(seq 1200); do [[ -s "$work/ready" ]] || ! kill -0 "$daemon" 2>/dev/null && break; sleep 0.05; done
  wait "$listener" 2>/dev/null; listener=
}
start_unit
if [[ "$(cut -d' ' -f1-2 "$work/ready" 2>/dev/null)" == "True True" ]] && grep -q "MAINPID=$daemon" "$work/ready"; then
  pass "the unit reports ready (READY=1, MAINPID) once the mount serves"
else
  fail "sd_notify" "$(cat "$work/ready" "$work/unit.out" 2>&1 | tr '\n' ' ')"
fi
mkdir -p "$mnt/w"
python3 "$REPO/native-test/crashwriter.py" write "$mnt/w" "$work/acked" term > /dev/null 2>&1 & writer=$!
sleep 2
kill -TERM "$daemon"
wait "$daemon"; rc=$?; daemon=
wait "$writer" 2>/dev/null; writer=
[[ $rc -eq 0 ]] && pass "SIGTERM during writes: the daemon exits 0" || fail "SIGTERM exit status" "$rc: $(tail -3 "$work/unit.out")"
mounted "$mnt" && fail "SIGTERM" "the mount is still there" || pass "SIGTERM leaves no mount behind"
grep -q 'shutting down' "$data/tierfs.log" && grep -q 'stopped' "$data/tierfs.log" \
  && pass "the log shows a clean stop" || fail "clean stop" "$(tail -3 "$data/tierfs.log")"
start_unit
if res="$(python3 "$REPO/native-test/crashwriter.py" check "$mnt/w" "$work/acked")" \
   && [[ "$res" =~ checked\ [1-9][0-9]*\ acknowledged ]]; then
  pass "after SIGTERM: ${res##*$'\n'}"
else
  fail "data synced before SIGTERM" "$(echo "$res" | tr '\n' ' ')"
fi
grep -q 'after an unclean shutdown' "$data/tierfs.log" && fail "restart after SIGTERM" "recovery ran as after a crash" \
  || pass "the start after SIGTERM finds a clean volume"
# Restart=on-failure: the daemon dies; the next start clears its dead mount by itself
kill -9 "$daemon"; wait "$daemon" 2>/dev/null; daemon=
start_unit
if [[ "$(cut -d' ' -f1-2 "$work/ready" 2>/dev/null)" == "True True" ]] \
   && python3 "$REPO/native-test/crashwriter.py" check "$mnt/w" "$work/acked" > /dev/null; then
  pass "a restart after kill -9 clears the dead mount and serves the data"
else
  fail "restart after kill -9" "$(cat "$work/ready" "$work/unit.out" 2>&1 | tail -3 | tr '\n' ' ')"
fi
kill -TERM "$daemon"; wait "$daemon"; daemon=
mounted "$mnt" && fail "final stop" "still mounted" || pass "stopped"
summary
