#!/usr/bin/env bash
# memcached, redis-server/redis-cli (Cluster) and redis-sentinel for the store
# tests. Idempotent: installs only what is missing. Run as root (CI runs it
# through scripts/test-servers.sh install).
set -euo pipefail

missing=()
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)

case "${1:-install}" in
  check)
    if [ ${#missing[@]} -eq 0 ]; then echo "redis-extra: all present"; exit 0; fi
    echo "redis-extra: missing ${missing[*]} (run scripts/test-servers.sh install)"
    exit 1
    ;;
  install)
    if [ ${#missing[@]} -eq 0 ]; then echo "redis-extra: memcached, redis-server, redis-cli, redis-sentinel present"; exit 0; fi
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}"
    # The Debian packages start system services; the tests start their own
    # instances on free ports, so stop the packaged ones where systemd is absent
    # or the service would hold the default ports.
    if command -v service >/dev/null 2>&1; then
      for unit in memcached redis-sentinel; do
        $SUDO service "$unit" stop >/dev/null 2>&1 || true
      done
    fi
    ;;
  *)
    echo "usage: $0 install|check" >&2
    exit 2
    ;;
esac
