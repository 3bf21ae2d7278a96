#!/usr/bin/env bash
# An Apache Ignite 2.x node for the store tests: ignite-core and its
# dependencies from Maven Central (scripts/servers/ignite/pom.xml) into a cache
# folder outside the repo, and the project's small node main
# (scripts/servers/ignite/TestIgniteNode.java) compiled beside them. The tests
# start nodes themselves on free ports (test/helpers/distributed.ts).
# Idempotent and quick when present.
#
#   scripts/servers/ignite.sh install|check
set -euo pipefail
cd "$(dirname "$0")/ignite"

VERSION="$(sed -n 's:.*<ignite.version>\(.*\)</ignite.version>.*:\1:p' pom.xml)"
ROOT="${CACHESTACK_JARS:-${XDG_CACHE_HOME:-$HOME/.cache}/cachestack/jars}"
DIR="$ROOT/ignite-$VERSION"
MAIN="$DIR/classes/TestIgniteNode.class"

present() {
  [ -s "$DIR/lib/ignite-core-$VERSION.jar" ] && [ -s "$MAIN" ] && [ "$MAIN" -nt TestIgniteNode.java ] &&
    command -v java >/dev/null 2>&1
}

case "${1:-install}" in
  check)
    if present; then echo "ignite: $DIR present"; exit 0; fi
    echo "ignite: missing $DIR or java (run scripts/test-servers.sh install)"
    exit 1
    ;;
  install)
    if present; then echo "ignite: $DIR present"; exit 0; fi
    if ! command -v javac >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
      $SUDO apt-get -o DPkg::Lock::Timeout=600 update
      $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends openjdk-17-jdk-headless maven
    fi
    mkdir -p "$DIR/lib" "$DIR/classes"
    mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$DIR/lib"
    javac -d "$DIR/classes" -cp "$DIR/lib/*" TestIgniteNode.java
    present && echo "ignite: installed $DIR"
    ;;
  *)
    echo "usage: $0 install|check" >&2
    exit 2
    ;;
esac
