#!/usr/bin/env bash
# Builds tierfs and the JMH benchmarks, runs them, prints JMH's table and the original design's
# table beside the block layer's figures.
#   benchmarks/jmh/run.sh [--quick] [JMH args, e.g. a benchmark regex]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
quick=(); [[ "${1:-}" == "--quick" ]] && { quick=(-f 1 -wi 2 -w 1s -i 3 -r 1s); shift; }
(cd "$repo" && mvn -q -B -DskipTests install)
(cd "$here" && mvn -q -B package)
# Same JVM flags as the daemon (see pom.xml <tierfs.jvm.flags>); Chronicle's analytics stay off.
flags="-Dchronicle.analytics.disable=true --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --enable-native-access=ALL-UNNAMED"
result="$(mktemp /tmp/tierfs-jmh.XXXXXX.json)"
trap 'rm -f "$result"' EXIT
java -jar "$here/target/benchmarks.jar" -jvmArgsAppend "$flags" -rf json -rff "$result" "${quick[@]}" "$@"
echo
python3 "$here/../lib/jmh_design.py" "$result"
