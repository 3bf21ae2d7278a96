#!/usr/bin/env bash
# Test servers beyond the machine's own Redis and PostgreSQL.
#
#   scripts/test-servers.sh install   run every scripts/servers/*.sh install (idempotent, as root)
#   scripts/test-servers.sh check     list which server binaries are present
#
# Tests start their own instances (memcached, Redis Cluster, Sentinel, ...) on
# free ports in temporary directories through test/helpers/servers.ts, and stop
# them when the test process exits; nothing here is left running.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd="${1:-install}"
case "$cmd" in
  install)
    for script in scripts/servers/*.sh; do
      [ -e "$script" ] || continue
      echo "==> $script install"
      bash "$script" install
    done
    ;;
  check)
    status=0
    for script in scripts/servers/*.sh; do
      [ -e "$script" ] || continue
      bash "$script" check || status=1
    done
    exit $status
    ;;
  *)
    echo "usage: $0 install|check" >&2
    exit 2
    ;;
esac
