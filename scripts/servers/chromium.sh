#!/usr/bin/env bash
# Debian's chromium for the dashboard's browser tests (playwright-core drives
# /usr/bin/chromium headless). Idempotent: installs only when missing. Run as
# root (CI runs it through scripts/test-servers.sh install).
set -euo pipefail

case "${1:-install}" in
  check)
    if command -v chromium >/dev/null 2>&1; then echo "chromium: present"; exit 0; fi
    echo "chromium: missing (run scripts/test-servers.sh install)"
    exit 1
    ;;
  install)
    if command -v chromium >/dev/null 2>&1; then echo "chromium: present"; exit 0; fi
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y chromium
    echo "chromium: installed"
    ;;
  *)
    echo "usage: $0 install|check" >&2
    exit 2
    ;;
esac
