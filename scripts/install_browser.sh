#!/usr/bin/env bash
# Install Debian's chromium for the browser test of the caseworker page (Playwright for
# Python drives /usr/bin/chromium; no Playwright browser download is needed).
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root or sudo.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install Debian's 'chromium' package some other way" >&2
    echo "       (the browser test skips when /usr/bin/chromium is absent)." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: run as root or install sudo to install chromium." >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
