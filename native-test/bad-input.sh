#!/usr/bin/env bash
# Bad input: each mistake gives one clear line on stderr, a non-zero exit, and leaves data intact.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-badinput.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT

# expect NAME PATTERN COMMAND...: non-zero exit, exactly one stderr line, matching PATTERN
expect() {
  local name="$1" pattern="$2"; shift 2
  local err rc
  err="$("$@" 2>&1 >/dev/null)"; rc=$?
  if [[ $rc -ne 0 && $(printf '%s\n' "$err" | wc -l) -eq 1 && "$err" =~ $pattern ]]; then
    pass "$name"
  else
    fail "$name" "rc=$rc stderr=[$err]"
  fi
}

mkdir -p "$work/empty" "$work/full"; touch "$work/full/x"
expect "missing mountpoint" "does not exist" "$TIERFS" mount --data "$work/d1" "$work/nope"
expect "mountpoint not empty" "not empty" "$TIERFS" mount --data "$work/d1" "$work/full"
expect "mountpoint is a file" "not a directory" "$TIERFS" mount --data "$work/d1" "$work/full/x"
expect "unknown option" "Unknown option.*--bogus" "$TIERFS" mount --bogus "$work/empty"
expect "malformed size" "invalid size '12QB'" "$TIERFS" mount --ssd-capacity 12QB "$work/empty"
expect "bad block size" "power of two" "$TIERFS" mount --block-size 3000 --data "$work/d1" "$work/empty"
expect "watermarks the wrong way round" "watermarks are HIGH,LOW" "$TIERFS" mount --watermarks 90,95 --data "$work/d1" "$work/empty"
expect "migrate neither on nor off" "migrate must be on or off" "$TIERFS" mount --migrate sometimes --data "$work/d1" "$work/empty"
expect "hot tier smaller than a block" "less than one block" "$TIERFS" mount --hot-capacity 4k --data "$work/d0" "$work/empty"
expect "unwritable data folder" "not writable" "$TIERFS" mount --data /proc/tierfs-data "$work/empty"
printf 'data = %s\nbogus = 1\n' "$work/d1" > "$work/bad.conf"
expect "unknown config key" "unknown key 'bogus'" "$TIERFS" mount --config "$work/bad.conf" "$work/empty"
expect "missing config file" "cannot read config file" "$TIERFS" mount --config "$work/none.conf" "$work/empty"
expect "unmount of a non-mount" "is not mounted" "$TIERFS" unmount "$work/empty"
expect "status of a non-mount" "not a tierfs mount" "$TIERFS" status "$work/empty"
expect "no subcommand" "subcommand is required" "$TIERFS"

tierfs_mount "$work/m1" "$work/d1" || { summary; exit 1; }
echo precious > "$work/m1/keep"
mkdir -p "$work/m2"
expect "already mounted" "already mounted" "$TIERFS" mount --data "$work/d2" "$work/m1"
expect "data folder in use" "in use by a running tierfs" "$TIERFS" mount --data "$work/d1" "$work/m2"
expect "ssd tier moved" "differs from the tier" "$TIERFS" mount --data "$work/d1" --ssd "$work/elsewhere" "$work/m2"
exec 9<"$work/m1/keep"
expect "unmount while busy" "is busy" "$TIERFS" unmount "$work/m1"
exec 9<&-
tierfs_unmount "$work/m1"
sed -i 's/^format-version=.*/format-version=99/' "$work/d1/volume.properties"
expect "other format version" "format version 99" "$TIERFS" mount --data "$work/d1" "$work/m2"
sed -i 's/^format-version=.*/format-version=5/' "$work/d1/volume.properties"
# a tier directory that is not this volume's: an empty one in its place (its filesystem not
# mounted), or another volume's tier
mv "$work/d1/ssd" "$work/ssd.away" && mkdir "$work/d1/ssd"
expect "tier filesystem not mounted" "ssd tier directory .* does not hold this volume's ssd tier.*mount that filesystem" \
  "$TIERFS" mount --data "$work/d1" "$work/m2"
rmdir "$work/d1/ssd" && cp -a "$work/ssd.away" "$work/d1/ssd"
sed -i 's/^volume=.*/volume=0000-another/' "$work/d1/ssd/.tierfs-tier"
expect "another volume's tier" "holds the ssd tier of another volume" "$TIERFS" mount --data "$work/d1" "$work/m2"
rm -rf "$work/d1/ssd" && mv "$work/ssd.away" "$work/d1/ssd"
# a format-1 volume (no tier markers) is upgraded in place
sed -i 's/^format-version=.*/format-version=1/' "$work/d1/volume.properties"
rm "$work/d1/ssd/.tierfs-tier" "$work/d1/hdd/.tierfs-tier"
tierfs_mount "$work/m2" "$work/d1" || { summary; exit 1; }
[[ "$(cat "$work/m2/keep")" == precious ]] && pass "data intact after the refused mounts" || fail "data intact" "keep=$(cat "$work/m2/keep")"
grep -qx 'format-version=5' "$work/d1/volume.properties" && [[ -f "$work/d1/ssd/.tierfs-tier" && -f "$work/d1/hdd/.tierfs-tier" ]] \
  && pass "a format-1 volume is upgraded in place to format 5" || fail "upgrade" "$(grep format "$work/d1/volume.properties")"
tierfs_unmount "$work/m2"
summary
