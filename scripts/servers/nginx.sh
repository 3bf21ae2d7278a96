#!/usr/bin/env bash
# nginx for bench/proxy.ts (proxy_cache next to cachestack proxy). Idempotent.
# The bench starts its own nginx with a temp prefix and config; the system service is never used.
set -euo pipefail
if command -v nginx >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y nginx
# The package may start the system service; stop it so ports 80/443 stay free.
$SUDO service nginx stop >/dev/null 2>&1 || true
