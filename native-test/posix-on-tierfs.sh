#!/usr/bin/env bash
# Runs the POSIX suite (native-test/posix) against a fresh tierfs mount.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-posix.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
chmod 755 "$work"   # other uids (the permission tests) must reach the mountpoint
tierfs_mount "$work/mnt" "$work/data" || { summary; exit 1; }
chmod 1777 "$work/mnt"
"$REPO/native-test/posix/run.sh" "$work/mnt"
