#!/usr/bin/env bash
# A Hazelcast member for the store tests: com.hazelcast:hazelcast from Maven
# Central into a cache folder outside the repo (one jar, no dependencies). The
# tests start members themselves with `java -cp <jar>
# com.hazelcast.core.server.HazelcastMemberStarter` and a config of their own
# (test/helpers/distributed.ts). Idempotent and quick when the jar is there.
#
#   scripts/servers/hazelcast.sh install|check
set -euo pipefail

VERSION="${HAZELCAST_VERSION:-5.5.0}"
ROOT="${CACHESTACK_JARS:-${XDG_CACHE_HOME:-$HOME/.cache}/cachestack/jars}"
DIR="$ROOT/hazelcast-$VERSION"
JAR="$DIR/hazelcast-$VERSION.jar"

present() { [ -s "$JAR" ] && command -v java >/dev/null 2>&1; }

case "${1:-install}" in
  check)
    if present; then echo "hazelcast: $JAR present"; exit 0; fi
    echo "hazelcast: missing $JAR or java (run scripts/test-servers.sh install)"
    exit 1
    ;;
  install)
    if present; then echo "hazelcast: $JAR present"; exit 0; fi
    if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
      $SUDO apt-get -o DPkg::Lock::Timeout=600 update
      $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends openjdk-17-jre-headless maven
    fi
    mkdir -p "$DIR"
    mvn -q -B dependency:copy -Dartifact="com.hazelcast:hazelcast:$VERSION" -DoutputDirectory="$DIR"
    present && echo "hazelcast: installed $JAR"
    ;;
  *)
    echo "usage: $0 install|check" >&2
    exit 2
    ;;
esac
