#!/usr/bin/env bash
# Runs the container test (native-test/container) against a fresh tierfs mount.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
work="$(mktemp -d -t tierfs-container.XXXXXX)"
trap 'cleanup_mounts; rm -rf "$work"' EXIT
chmod 755 "$work"
tierfs_mount "$work/mnt" "$work/data" || { summary; exit 1; }
chmod 1777 "$work/mnt"
"$REPO/native-test/container/run.sh" "$work/mnt"
