#!/usr/bin/env bash
# Mounts a tierfs volume for containers and prints how to bind it in.
#   mount-scripts/container-volume.sh MOUNTPOINT [DATA_DIR]
#
# A FUSE mount made on the host is seen inside a container only if the container is started
# after the mount and binds it with the mount point itself (not a parent directory), e.g.
#   docker run --rm -v MOUNTPOINT:/data debian:12 ls -la /data
#   podman run --rm -v MOUNTPOINT:/data debian:12 ls -la /data
# The mount is made with allow_other, so a container process running as any uid can use it under
# the ordinary permission checks (default_permissions). If you mount a *parent* directory into the
# container instead, the host mount point must be shared so the FUSE mount propagates:
#   mount --make-shared PARENT ;  docker run -v PARENT:/data:rslave ...
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mnt="${1:?usage: container-volume.sh MOUNTPOINT [DATA_DIR]}"
data="${2:-/var/lib/tierfs/$(basename "$mnt")}"

mkdir -p "$mnt"
"$repo/tierfs" mount --data "$data" "$mnt"
cat <<MSG
Volume ready. Start containers with:
  docker run --rm -it -v $mnt:/data IMAGE
and stop it, once no container uses it, with:
  $repo/tierfs unmount $mnt
MSG
