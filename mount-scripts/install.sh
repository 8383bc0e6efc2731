#!/usr/bin/env bash
# Puts tierfs on the PATH so that `mount -t fuse.tierfs`, fstab lines, systemd units and container
# engines find it: copies the build to PREFIX/lib/tierfs and links PREFIX/bin/tierfs to it.
#   mount-scripts/install.sh [--prefix DIR] [--systemd DIR] [--podman]
#     --prefix   default /usr/local (mount.fuse runs `tierfs` with no PATH of its own; the shell's
#                default search path has /usr/local/bin in it)
#     --systemd  also put the units there: tierfs@.service (a volume) and tierfs-plugin.service (the
#                volume plugin); default: not installed; e.g. /etc/systemd/system
#     --podman   tell podman about the volume plugin: /etc/containers/containers.conf.d/tierfs.conf
# Builds first if the build is missing. Run it again after a rebuild to update the copy.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix=/usr/local systemd="" podman=0
needs_dir() { [[ -n "${2:-}" && "$2" != --* ]] || { echo "install.sh: $1 needs a directory" >&2; exit 2; }; }
while (($#)); do
  case "$1" in
    --prefix) needs_dir "$@"; prefix="$2"; shift 2 ;;
    --systemd) needs_dir "$@"; systemd="$2"; shift 2 ;;
    --podman) podman=1; shift ;;
    *) echo "install.sh: unknown option '$1' (takes --prefix DIR, --systemd DIR, --podman)" >&2; exit 2 ;;
  esac
done
"$repo/mount-scripts/install-deps.sh"
[[ -f "$repo/target/tierfs.jar" ]] || (cd "$repo" && mvn -q -DskipTests package)
home="$prefix/lib/tierfs"
# A fresh copy beside the old one, then one rename: a daemon started from the old copy keeps its files.
rm -rf "$home.new"
mkdir -p "$home.new/target" "$prefix/bin"
cp -r "$repo/target/tierfs.jar" "$repo/target/lib" "$repo/target/native" "$home.new/target/"
cp "$repo/tierfs" "$repo/README.md" "$repo/ARCHITECTURE.md" "$home.new/"
rm -rf "$home.old"
[[ -e "$home" ]] && mv "$home" "$home.old"
mv "$home.new" "$home"
rm -rf "$home.old"
ln -sfn "$home/tierfs" "$prefix/bin/tierfs"
if [[ -n "$systemd" ]]; then
  mkdir -p "$systemd"
  for unit in tierfs@.service tierfs-plugin.service; do
    sed "s|/usr/local/bin/tierfs|$prefix/bin/tierfs|g; s|/usr/local/lib/tierfs|$home|g" "$repo/mount-scripts/$unit" > "$systemd/$unit"
  done
fi
if ((podman)); then
  mkdir -p /etc/containers/containers.conf.d
  # podman waits 5 s for a plugin by default; a first mount starts a daemon (2-3 s here), more on a busy host
  cat > /etc/containers/containers.conf.d/tierfs.conf <<CONF
# written by tierfs's mount-scripts/install.sh --podman
[engine]
volume_plugin_timeout = 30

[engine.volume_plugins]
tierfs = "/run/docker/plugins/tierfs.sock"
CONF
  echo "podman: volume driver tierfs at /run/docker/plugins/tierfs.sock (/etc/containers/containers.conf.d/tierfs.conf)"
fi
echo "installed: $prefix/bin/tierfs -> $home (mount -t fuse.tierfs and fstab lines now work)"
