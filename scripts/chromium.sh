#!/usr/bin/env bash
# The admin's browser tests drive Debian's Chromium through Playwright (no browser download).
# Install it when it is missing and we may; otherwise say so (the browser tests then skip,
# except under CI, where a missing browser fails them).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || [ -n "${MASA_CHROMIUM:-}" ]; then
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo)
  else
    echo "chromium is not installed and this user cannot install it: the browser tests will skip"
    exit 0
  fi
fi
echo "Installing Debian's chromium for the browser tests…"
export DEBIAN_FRONTEND=noninteractive
install() { "${as_root[@]}" apt-get install -y --no-install-recommends chromium >/dev/null; }
install || { "${as_root[@]}" apt-get update >/dev/null && install; }
chromium --version
