#!/usr/bin/env bash
# Installs what tierfs needs on Debian 12, skipping what is already there.
#   install-deps.sh          to build and mount: a JDK 17, Maven, libfuse2, fusermount (fuse3)
#   install-deps.sh --test   also what the test suite drives: fio, attr, sqlite3, gcc, podman, runc, busybox-static, stress-ng, strace, prometheus,
#                            xfsprogs and btrfs-progs
#   install-deps.sh --bench  also what benchmarks/compare.sh measures with and against: fio, gcc, libfuse-dev, mergerfs;
#                            and what benchmarks/tiering.sh builds its tiers with: losetup (mount), mkfs.ext4 (e2fsprogs)
set -euo pipefail

packages=()
need() { # need COMMAND-OR-FILE PACKAGE
  if [[ "$1" == /* ]]; then [[ -e "$1" ]] || packages+=("$2")
  else command -v "$1" >/dev/null 2>&1 || packages+=("$2"); fi
}
need java openjdk-17-jdk-headless
need mvn maven
need /usr/lib/x86_64-linux-gnu/libfuse.so.2 libfuse2
need fusermount fuse3
need setsid util-linux
case "${1:-}" in
  --test|--bench)  # both drive fio and compile C programs against libfuse2
    need fio fio
    need gcc gcc
    need pkg-config pkg-config
    need /usr/include/fuse/fuse.h libfuse-dev
    need python3 python3
    ;;
esac
if [[ "${1:-}" == "--test" ]]; then
  need setfattr attr
  need sqlite3 sqlite3
  need podman podman
  need runc runc
  need /bin/busybox busybox-static
  need stress-ng stress-ng
  need strace strace
  need mkfs.xfs xfsprogs        # the tier filesystems matrix (native-test/tier-filesystems.sh)
  need mkfs.btrfs btrfs-progs
  need prometheus prometheus    # native-test/metrics.sh scrapes the endpoint with a real Prometheus
fi
if [[ "${1:-}" == "--bench" ]]; then
  need mergerfs mergerfs
  need losetup mount            # tiering.sh: the ssd and hdd tiers on loop devices
  need mkfs.ext4 e2fsprogs
fi

if ((${#packages[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "tierfs: missing packages: ${packages[*]}; install them as root (apt-get install ${packages[*]})" >&2
    exit 1
  fi
  echo "installing: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
[[ -e /dev/fuse ]] || { echo "tierfs: /dev/fuse is missing: load the fuse kernel module (modprobe fuse)" >&2; exit 1; }
