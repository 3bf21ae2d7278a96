#!/usr/bin/env bash
# Every server the tests, benchmarks and demo use, from the project's own files.
#
#   scripts/test-servers.sh install   installs what is missing (as root; CI runs it): every scripts/servers/*.sh install
#   scripts/test-servers.sh check     says what is present and what is missing; installs nothing
#   scripts/test-servers.sh start     starts the standing Redis (127.0.0.1:16379) and PostgreSQL (127.0.0.1:15432,
#                                     database `test`, user postgres, trust) in the background, data in a temp folder
#   scripts/test-servers.sh stop      stops what `start` started, and nothing else
#   scripts/test-servers.sh status    says whether they answer, and who started them
#   scripts/test-servers.sh env       prints `export REDIS_URL=… DATABASE_URL=…` for them: eval "$(scripts/test-servers.sh env)"
#
# `npm test` needs none of start/stop: its global setup (test/setup/servers.ts)
# uses the standing servers when they answer and otherwise starts private ones on
# free ports for the run. Tests that kill or pause a server (memcached, Cluster,
# Sentinel, …) start their own through test/helpers/servers.ts.
# start/stop/status accept server names to act on only some: `start redis`.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  install | check)
    status=0
    for script in scripts/servers/*.sh; do
      [ -e "$script" ] || continue
      bash "$script" "$cmd" || status=1
    done
    exit $status
    ;;
  start | stop | status | env)
    exec node scripts/servers/standing.mjs "$cmd" "$@"
    ;;
  *)
    echo "usage: $0 install|check|start|stop|status|env [redis] [postgres]" >&2
    exit 2
    ;;
esac
