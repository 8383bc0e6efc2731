#!/usr/bin/env bash
# tierfs on the filesystems operators put tiers on. Each filesystem is made by this test on its own
# loop device (or tmpfs, or lossyfs: a FUSE layer told to report no size and offer no fallocate),
# with both tiers on it; then, through the mount: the POSIX subset, fio with verify=crc32c,
# fallocate, a remount with the data checked, and the features and fallbacks `tierfs status --json`
# names. Then the refusals (no size and no capacity) and a tier that goes away under load: removed,
# its filesystem unmounted, or turned read-only, it must answer EIO (EROFS) with a log line naming
# it, while the other tier stays readable and `tierfs status` says which tier is unavailable.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-tierfs.XXXXXX)"
chmod 755 "$work"   # the permission tests of the POSIX subset reach the mountpoint as other uids
loops=() fsmounts=() lossy_pid=
cleanup() {
  cleanup_mounts
  local m
  for m in "${fsmounts[@]}"; do
    grep -q " $m " /proc/mounts && { fusermount -uz "$m" 2>/dev/null || umount -l "$m"; }
  done
  [[ -n "$lossy_pid" ]] && kill "$lossy_pid" 2>/dev/null
  for m in "${loops[@]}"; do losetup -d "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -Wall -D_FILE_OFFSET_BITS=64 $(pkg-config --cflags fuse) "$REPO/native-test/lossyfs/lossyfs.c" \
  -o "$work/lossyfs" $(pkg-config --libs fuse) -lpthread || { fail build "lossyfs did not compile"; summary; exit 1; }

POSIX_SUBSET='^(file_write_read|file_append|file_trunc|file_pread_pwrite|dir_copy_tree|unlink_open|truncate|sparse_5g|fallocate|holes_like_ext4|statfs|fsync|mmap_shared|sqlite_wal|odirect)$'  # fio verify: below, over both tiers; names and links live in the metadata store, not on a tier

# make_fs KIND DIR: a fresh filesystem of KIND mounted at DIR
make_fs() {
  local kind="$1" dir="$2" img="$2.img" dev
  mkdir -p "$dir"
  case "$kind" in
    tmpfs) mount -t tmpfs -o size=512M tmpfs "$dir" || return 1 ;;
    lossyfs)
      mkdir -p "$work/lossy-backing"
      "$work/lossyfs" -f "$work/lossy-backing" "$dir" -o no_size,no_fallocate,quiet & lossy_pid=$!
      for _ in $(seq 100); do grep -q " $dir fuse" /proc/mounts && break; sleep 0.05; done ;;
    *)
      truncate -s 512M "$img"
      case "$kind" in
        ext4) mkfs.ext4 -q -F "$img" ;;
        ext4-noextents) mkfs.ext4 -q -F -O ^extent,^flex_bg,^64bit "$img" ;;
        xfs) mkfs.xfs -q -f "$img" ;;
        btrfs) mkfs.btrfs -q -f "$img" >/dev/null ;;
      esac || return 1
      dev="$(losetup -f --show "$img")" || return 1
      loops+=("$dev")
      mount "$dev" "$dir" || return 1 ;;
  esac
  fsmounts+=("$dir")
  grep -q " $dir " /proc/mounts
}

# features_of STATUS.json: the ssd tier's features (true/false) from `tierfs status --json`
features_of() {
  python3 -c 'import json,sys; t=[t for t in json.load(open(sys.argv[1]))["tiers"] if t["name"]=="ssd"][0]["features"]
print(" ".join(f"{k}={str(t[k]).lower()}" for k in ("size_reported","fallocate","punch_hole","seek_hole")))' "$1"
}

declare -A expected=(
  [ext4]="size_reported=true fallocate=true punch_hole=true seek_hole=true"
  [ext4-noextents]="size_reported=true fallocate=false punch_hole=true seek_hole=true"
  [xfs]="size_reported=true fallocate=true punch_hole=true seek_hole=true"
  [btrfs]="size_reported=true fallocate=true punch_hole=true seek_hole=true"
  [tmpfs]="size_reported=true fallocate=true punch_hole=true seek_hole=true"
  [lossyfs]="size_reported=false fallocate=false punch_hole=false seek_hole=false"
)

for kind in ext4 ext4-noextents xfs btrfs tmpfs lossyfs; do
  fs="$work/fs-$kind" mnt="$work/mnt-$kind" data="$work/data-$kind"
  if ! make_fs "$kind" "$fs"; then fail "$kind" "could not make the filesystem"; continue; fi
  opts=(--ssd "$fs/ssd" --hdd "$fs/hdd" --ssd-capacity 64M)
  if [[ $kind == lossyfs ]]; then
    mkdir -p "$mnt"
    out="$("$TIERFS" mount --data "$data" "${opts[@]}" "$mnt" 2>&1)"
    if [[ $? -ne 0 && "$out" == *"reports no size"*"--hdd-capacity SIZE (config key hdd-capacity)"* ]]; then
      pass "$kind: mount without an hdd capacity refused: ${out##*: the daemon exited with status 1: }"
    else
      fail "$kind: mount without a capacity" "expected a refusal naming --hdd-capacity, got: $out"
      cleanup_mounts
    fi
    opts+=(--hdd-capacity 400M)
  fi
  tierfs_mount "$mnt" "$data" "${opts[@]}" || continue
  "$TIERFS" status --json "$mnt" > "$work/status.json"
  got="$(features_of "$work/status.json")"
  [[ "$got" == "${expected[$kind]}" ]] && pass "$kind: status names the features: $got" \
    || fail "$kind: features" "got '$got', expected '${expected[$kind]}'"
  mkdir -m 1777 "$mnt/posix"
  skip='^$'; [[ $kind == lossyfs ]] && skip='^holes_like_ext4$'  # no SEEK_HOLE: holes inside a block are not seen
  if res="$("$REPO/native-test/posix/run.sh" --only "$POSIX_SUBSET" --skip "$skip" "$mnt/posix" 2>&1)" \
     && [[ "$(tail -1 <<< "$res")" =~ ^[1-9][0-9]*\ passed,\ 0\ failed ]]; then
    pass "$kind: POSIX subset ($(tail -1 <<< "$res"))"
  else
    fail "$kind: POSIX subset" "$(grep '^FAIL' <<< "$res" | head -3 | tr '\n' ' ') $(tail -1 <<< "$res")"
  fi
  rm -rf "$mnt/posix"
  # more data than the ssd tier holds: both tiers are used
  if fio --name=v --filename="$mnt/fio" --size=96m --bs=64k --rw=randwrite --verify=crc32c --do_verify=1 \
       --direct=1 --output="$work/fio.out" >/dev/null 2>&1 && ! grep -qiE 'verify.*(fail|bad)|bad magic' "$work/fio.out"; then
    pass "$kind: fio verify=crc32c over both tiers"
  else
    fail "$kind: fio" "$(grep -iE 'err|verify' "$work/fio.out" | head -2 | tr '\n' ' ')"
  fi
  head -c 3000000 /dev/urandom > "$work/src"
  cp "$work/src" "$mnt/punched"
  python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[100000:600000]=bytes(500000); open(sys.argv[2],"wb").write(d)' \
    "$work/src" "$work/expected"
  if fallocate -l 8M "$mnt/reserved" && [[ $(stat -c %s "$mnt/reserved") == 8388608 ]] \
     && fallocate -p -o 100000 -l 500000 "$mnt/punched" && cmp -s "$mnt/punched" "$work/expected"; then
    pass "$kind: fallocate reserves and punches through the mount"
  else
    fail "$kind: fallocate" "reserve or punch failed, or the punched file reads wrong"
  fi
  sum="$(md5sum < "$mnt/fio")"
  tierfs_unmount "$mnt"
  if tierfs_mount "$mnt" "$data" && [[ "$(md5sum < "$mnt/fio")" == "$sum" ]] && cmp -s "$mnt/punched" "$work/expected"; then
    pass "$kind: remounted, data intact"
  else
    fail "$kind: remount" "data differs after a remount"
  fi
  tierfs_unmount "$mnt"
done

# --- A tier that goes away under load ---------------------------------------------------------
# ssd on a filesystem of its own (ext4 on a loop device), hdd in a plain directory.
fs="$work/gone-fs" mnt="$work/mnt-gone" data="$work/data-gone" hdd="$work/hdd-gone"
make_fs ext4 "$fs" || fail "tier gone" "could not make the filesystem"
# status_of TIER: "available" or "unavailable: why", from tierfs status --json
status_of() {
  "$TIERFS" status --json "$mnt" | python3 -c 'import json,sys
t=[t for t in json.load(sys.stdin)["tiers"] if t["name"]==sys.argv[1]][0]
print(t["state"] + (": " + t["problem"] if "problem" in t else ""))' "$1"
}
# errno_of CMD...: the errno name a python file operation fails with, or ok
errno_of() { python3 -c 'import errno,os,sys
try:
    exec(sys.argv[1]); print("ok")
except OSError as e: print(errno.errorcode[e.errno])' "$1"; }
tier_gone_round() { # NAME HOW-TO-BREAK HOW-TO-REPAIR (empty: none) EXPECTED-WRITE-ERRNO
  local name="$1" break_it="$2" repair="$3" want="$4"
  # no hot tier and no migration: the file on ssd stays there (a hot copy would serve its reads
  # whatever happens to the ssd tier, and a move would take its blocks off it)
  tierfs_mount "$mnt" "$data" --ssd "$fs/ssd" --hdd "$hdd" --ssd-capacity 8M --hot-capacity 0 --migrate off || return
  head -c 4000000 /dev/urandom > "$mnt/on-ssd"        # 4 MB: fits the ssd tier
  head -c 12000000 /dev/urandom > "$mnt/spills"       # 12 MB: fills the ssd, the rest on hdd
  sync; sum="$(md5sum < "$mnt/on-ssd")"
  (exec 2>/dev/null; while :; do head -c 65536 /dev/urandom > "$mnt/load-$RANDOM"; done) & load=$!
  sleep 0.5
  eval "$break_it"
  sleep 1.5
  echo 3 > /proc/sys/vm/drop_caches
  r="$(errno_of "open('$mnt/on-ssd','rb').read()")"
  w="$(errno_of "fd=os.open('$mnt/on-ssd', os.O_WRONLY); os.pwrite(fd, b'x'*4096, 0); os.fsync(fd)")"
  n="$(errno_of "open('$mnt/new-after','wb').write(os.urandom(300000))")"
  kill $load; wait $load 2>/dev/null
  st="$(status_of ssd)"
  if [[ $r == EIO || ($want == EROFS && $r == ok) ]] && [[ $w == "$want" ]] && [[ $n == ok ]] \
     && [[ "$st" == unavailable:* ]] && grep -q "ssd tier at $fs/ssd is unavailable\|ssd tier at $fs/ssd is read-only" "$data/tierfs.log"; then
    pass "$name: read $r, write $w, new files still written (to hdd), status '$st', logged"
  else
    fail "$name" "read $r, write $w (expected $want), new file $n, status '$st', log: $(grep -c 'ssd tier at' "$data/tierfs.log")"
  fi
  if [[ -z "$repair" ]]; then tierfs_unmount "$mnt"; return; fi
  eval "$repair"
  sleep 1.5
  st="$(status_of ssd)"
  echo 3 > /proc/sys/vm/drop_caches
  if [[ "$st" == available && "$(md5sum < "$mnt/on-ssd")" == "$sum" ]]; then
    pass "$name, then repaired: the tier is available again, its data intact"
  else
    fail "$name, then repaired" "status '$st', data $(md5sum < "$mnt/on-ssd" 2>&1 | cut -c1-32)"
  fi
  rm -f "$mnt"/load-* "$mnt/new-after"
  tierfs_unmount "$mnt"
}
tier_gone_round "ssd directory removed" 'mv "$fs/ssd" "$fs/ssd.away"' 'mv "$fs/ssd.away" "$fs/ssd"' EIO
tier_gone_round "ssd filesystem unmounted" 'umount -l "$fs"' 'mount "${loops[-1]}" "$fs"' EIO
# An ext4 error with errors=remount-ro: the filesystem turns read-only under the open tier files
# (its mount flags still say rw); it cannot be repaired while they are open.
mount -o remount,errors=remount-ro "$fs"
tier_gone_round "ssd filesystem turned read-only by an error" \
  'echo "tierfs test" > "/sys/fs/ext4/$(basename "${loops[-1]}")/trigger_fs_error"' '' EROFS

summary
