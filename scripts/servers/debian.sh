#!/usr/bin/env bash
# Debian's packages for every server and browser the full suite, the benchmarks
# and the demo use. One table, one `apt-get update` and one `apt-get install` for
# whatever is missing: quick (no network) when everything is there already.
#
#   scripts/servers/debian.sh check     lists what is present and what is missing (exit 1 if any is missing)
#   scripts/servers/debian.sh install   installs what is missing (as root, or through sudo)
set -euo pipefail

# binary package  (the binary decides whether the package counts as present)
TABLE="
redis-server   redis-server
redis-cli      redis-tools
redis-sentinel redis-sentinel
initdb         postgresql
postgres       postgresql
memcached      memcached
nginx          nginx
chromium       chromium
"

has() {
  command -v "$1" >/dev/null 2>&1 && return 0
  # PostgreSQL's server binaries live in /usr/lib/postgresql/<version>/bin, off PATH.
  compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null 2>&1
}

missing=()
present=()
while read -r bin pkg; do
  [ -n "${bin:-}" ] || continue
  if has "$bin"; then
    present+=("$bin")
  else
    [[ " ${missing[*]:-} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done <<< "$TABLE"

case "${1:-check}" in
  check)
    echo "debian: present: ${present[*]:-none}"
    if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
    echo "debian: missing packages: ${missing[*]} (run scripts/test-servers.sh install as root)"
    exit 1
    ;;
  install)
    if [ ${#missing[@]} -eq 0 ]; then echo "debian: all present (${present[*]})"; exit 0; fi
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    echo "debian: installing ${missing[*]}"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packages may start system services on the standard ports; the project
    # never uses those (its servers run on ports of its own), so stop them.
    if command -v service >/dev/null 2>&1; then
      for unit in redis-server redis-sentinel memcached nginx postgresql; do
        $SUDO service "$unit" stop >/dev/null 2>&1 || true
      done
    fi
    echo "debian: installed ${missing[*]}"
    ;;
  *)
    echo "usage: $0 check|install" >&2
    exit 2
    ;;
esac
