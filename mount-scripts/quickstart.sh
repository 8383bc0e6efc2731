#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a mounted tierfs:
# installs what is missing, builds, and mounts ./mnt with its tiers under ./tierfs-data.
#   mount-scripts/quickstart.sh [MOUNTPOINT] [DATA_DIR]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mnt="${1:-$repo/mnt}"
data="${2:-$repo/tierfs-data}"

"$repo/mount-scripts/install-deps.sh"
echo "building tierfs..."
(cd "$repo" && mvn -q -DskipTests package)
mkdir -p "$mnt"
"$repo/tierfs" mount --data "$data" "$mnt"
cat <<MSG

tierfs is mounted at $mnt (tiers in $data/ssd and $data/hdd).
  cd $mnt                       use it
  $repo/tierfs status $mnt      see the daemon and the tiers
  $repo/tierfs unmount $mnt     flush and unmount
MSG
