#!/usr/bin/env bash
# The benchmarks build against this tree: the JMH module (benchmarks/jmh, its own Maven project,
# which no unit test compiles) and the fio and small-file scripts' Python. A change to an
# interface the benchmarks implement (a SQLite MetadataStore for the store comparison) must not
# leave `benchmarks/jmh/run.sh` broken until someone runs it.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/native-test/lib.sh"
log="$(mktemp -t tierfs-bench-build.XXXXXX)"
trap 'rm -f "$log"' EXIT

# the jars this run built go into the local repository as they are (a rebuild could rewrite a jar a
# running daemon loads its classes from), then the benchmarks build against them
version="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$REPO/pom.xml" | head -1)"
if (cd "$REPO" && mvn -q -B install:install-file -Dfile=target/tierfs.jar -DpomFile=pom.xml \
      && mvn -q -B install:install-file -Dfile=target/tierfs-tests.jar -DgroupId=io.tierfs -DartifactId=tierfs \
           -Dversion="$version" -Dpackaging=jar -Dclassifier=tests \
      && cd benchmarks/jmh && mvn -q -B package) >"$log" 2>&1 \
    && [[ -f "$REPO/benchmarks/jmh/target/benchmarks.jar" ]]; then
  pass "the JMH benchmarks build against this tree (benchmarks/jmh/target/benchmarks.jar)"
else
  fail "the JMH benchmarks do not build" "$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -m3 ERROR)"
fi
if python3 -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' "$REPO"/benchmarks/lib/*.py 2>"$log"; then
  pass "the benchmark scripts' Python compiles"
else
  fail "the benchmark scripts' Python does not compile" "$(cat "$log")"
fi
summary
